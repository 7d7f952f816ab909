//! Progress on stderr, only when a person is watching it and the input is large enough to wait for.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Inputs smaller than this finish before a bar is worth drawing.
const WORTH_SHOWING: u64 = 64 * 1024 * 1024;

/// A byte-progress bar for one input of `total` bytes, or a hidden one.
pub fn bar_for(label: &str, total: Option<u64>) -> ProgressBar {
    match total {
        Some(total) if total >= WORTH_SHOWING && std::io::stderr().is_terminal() => {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(label.to_string());
            bar
        }
        _ => ProgressBar::hidden(),
    }
}
