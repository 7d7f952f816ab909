//! Compiles the repository's `catalog/*.toml` into the crate (for `Catalog::bundled`): writes a
//! table of `(file name, include_str!(path))` to `$OUT_DIR/bundled_catalog.rs`.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let dir = manifest.join("../../catalog");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = String::from(
        "/// `(file name, text)` of each bundled catalog file, in file-name order.\n\
         pub(crate) static BUNDLED: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .map(|n| format!("catalog/{}", n.to_string_lossy()))
            .ok_or("catalog file without a name")?;
        let absolute = path.canonicalize()?;
        let absolute = absolute.to_str().ok_or("catalog path is not UTF-8")?;
        writeln!(out, "    ({name:?}, include_str!({absolute:?})),")?;
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR")?).join("bundled_catalog.rs");
    std::fs::write(target, out)?;
    Ok(())
}
