//! HTTP/1.x request heads from the client-to-server bytes of a TCP connection, across keep-alive
//! requests: the request line, Host and User-Agent of each request, with bodies (Content-Length or
//! chunked) skipped to find the next one.
//!
//! Written by hand rather than with `httparse`: we want Zeek's leniency (bare LF line ends, any
//! number of headers, non-UTF-8 bytes kept escaped) and we need the framing headers anyway.

pub mod socks;

use super::tls::escape_bytes;
use ringfence_model::HttpRequest;

/// The longest request head (request line and headers) read; a longer one stops the scan.
pub const MAX_HEAD: usize = 16 * 1024;
/// Requests reported per stream.
pub const MAX_REQUESTS: usize = 64;
/// The longest method token accepted.
const MAX_METHOD: usize = 32;
/// The longest chunk-size line of a chunked body.
const MAX_CHUNK_LINE: usize = 1024;

/// The state of an [`HttpRequestScanner`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpScanState {
    Scanning,
    /// The stream does not start with an HTTP request line.
    NotHttp,
    /// Scanning ended: the reason (a limit reached, or a framing error after which the next request
    /// cannot be found).
    Stopped(&'static str),
    /// A `CONNECT` request was read: the client's bytes after its head belong to the tunnel (the
    /// real destination's protocol, usually TLS), not to HTTP.
    Tunnel,
}

#[derive(Debug)]
enum Phase {
    /// Reading a request head.
    Head,
    /// Skipping this many body bytes.
    Body(u64),
    /// In a chunked body: reading a chunk-size line (or a trailer line when `trailer`).
    ChunkLine { trailer: bool },
    /// Skipping chunk data; the line end after it is then read as an empty chunk-size line.
    ChunkData(u64),
}

/// Fed the in-order client stream in chunks; calls `on_request` with each request head.
#[derive(Debug)]
pub struct HttpRequestScanner {
    state: HttpScanState,
    phase: Phase,
    /// The head (or chunk line) being read.
    buf: Vec<u8>,
    requests: usize,
}

impl Default for HttpRequestScanner {
    fn default() -> Self {
        Self::new()
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Judges a (possibly partial) request line's method: `Some(false)` when it cannot be a method
/// token followed by a space, `Some(true)` when it is, `None` when more bytes are needed.
fn method_ok(line: &[u8]) -> Option<bool> {
    for (i, &b) in line.iter().enumerate() {
        if b == b' ' {
            return Some(i > 0);
        }
        if !is_tchar(b) || i >= MAX_METHOD {
            return Some(false);
        }
    }
    None
}

/// The end of the head: the index just after the blank line, accepting CRLF or bare LF.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    let tail = buf.get(start..)?;
    tail.windows(2).enumerate().find_map(|(i, w)| match w {
        [b'\n', b'\n'] => Some(start + i + 2),
        [b'\n', b'\r'] if tail.get(i + 2) == Some(&b'\n') => Some(start + i + 3),
        _ => None,
    })
}

/// How the body of a request is framed.
enum Framing {
    Length(u64),
    Chunked,
}

struct Head {
    request: HttpRequest,
    framing: Framing,
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(start, |e| e + 1);
    bytes.get(start..end.max(start)).unwrap_or_default()
}

/// Splits a request line into method, target and version (without `HTTP/`). Leniently, as servers
/// do: the method is the first space-separated token, the version the last one when it reads
/// `HTTP/x.y`, and the target everything between, spaces included — attack tools send targets like
/// `/cgi-bin/x;cat /etc/passwd|` unencoded and servers still answer them.
fn split_request_line(line: &[u8]) -> Result<RequestLine<'_>, &'static str> {
    let method_end = line
        .iter()
        .position(|b| *b == b' ')
        .ok_or("request line without method, target and version")?;
    let (method, rest) = line.split_at(method_end);
    let rest = trim(rest);
    let version_start = rest
        .iter()
        .rposition(|b| *b == b' ')
        .ok_or("request line without method, target and version")?;
    let (target, version) = rest.split_at(version_start);
    let version = version.get(1..).unwrap_or_default();
    let version = version
        .strip_prefix(b"HTTP/")
        .filter(|v| is_version_number(v))
        .ok_or("request line without an HTTP version")?;
    let target = trim(target);
    if target.is_empty() {
        return Err("request line without method, target and version");
    }
    Ok(RequestLine {
        method,
        target,
        version,
    })
}

/// The three parts of a request line, the version without `HTTP/`.
struct RequestLine<'a> {
    method: &'a [u8],
    target: &'a [u8],
    version: &'a [u8],
}

/// A version number such as `1.1`, `1.0` or `2`: digits and dots, starting with a digit.
fn is_version_number(version: &[u8]) -> bool {
    version.first().is_some_and(u8::is_ascii_digit)
        && version.len() <= 8
        && version.iter().all(|b| b.is_ascii_digit() || *b == b'.')
}

fn parse_head(head: &[u8]) -> Result<Head, &'static str> {
    let mut lines = head.split(|b| *b == b'\n');
    let request_line = trim(lines.next().unwrap_or_default());
    let RequestLine {
        method,
        target,
        version,
    } = split_request_line(request_line)?;
    let mut host = None;
    let mut user_agent = None;
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    for line in lines {
        let line = trim(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue; // not a header (e.g. obsolete line folding): ignored, as Zeek does
        };
        let (name, value) = line.split_at(colon);
        let value = trim(value.get(1..).unwrap_or_default());
        if name.eq_ignore_ascii_case(b"host") {
            host.get_or_insert_with(|| escape_bytes(value));
        } else if name.eq_ignore_ascii_case(b"user-agent") {
            user_agent.get_or_insert_with(|| escape_bytes(value));
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let parsed = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or("invalid Content-Length")?;
            if content_length.is_some_and(|c| c != parsed) {
                return Err("conflicting Content-Length headers");
            }
            content_length = Some(parsed);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // Chunked when it is the last coding applied (RFC 9112 §6.3).
            let last = value
                .split(|b| *b == b',')
                .next_back()
                .map(trim)
                .unwrap_or_default();
            chunked = last.eq_ignore_ascii_case(b"chunked");
        }
    }
    Ok(Head {
        request: HttpRequest {
            method: escape_bytes(method),
            target: escape_bytes(target),
            version: escape_bytes(version),
            host,
            user_agent,
        },
        framing: if chunked {
            Framing::Chunked
        } else {
            Framing::Length(content_length.unwrap_or(0))
        },
    })
}

impl HttpRequestScanner {
    pub fn new() -> Self {
        HttpRequestScanner {
            state: HttpScanState::Scanning,
            phase: Phase::Head,
            buf: Vec::new(),
            requests: 0,
        }
    }

    pub fn state(&self) -> &HttpScanState {
        &self.state
    }

    /// Scans `data`; returns how many of its bytes were consumed, which is fewer than `data.len()`
    /// only when the state became [`HttpScanState::Tunnel`]: the rest is the tunnel's first bytes.
    pub fn feed(&mut self, mut data: &[u8], mut on_request: impl FnMut(HttpRequest)) -> usize {
        let total = data.len();
        while self.state == HttpScanState::Scanning && !data.is_empty() {
            data = match self.phase {
                Phase::Head => self.feed_head(data, &mut on_request),
                Phase::Body(left) => {
                    let skip = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                    let left = left - skip as u64;
                    self.phase = if left == 0 {
                        Phase::Head
                    } else {
                        Phase::Body(left)
                    };
                    data.get(skip..).unwrap_or_default()
                }
                Phase::ChunkData(left) => {
                    let skip = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                    let left = left - skip as u64;
                    self.phase = if left == 0 {
                        Phase::ChunkLine { trailer: false }
                    } else {
                        Phase::ChunkData(left)
                    };
                    data.get(skip..).unwrap_or_default()
                }
                Phase::ChunkLine { trailer } => self.feed_chunk_line(data, trailer),
            };
        }
        if self.state == HttpScanState::Tunnel {
            total - data.len()
        } else {
            total
        }
    }

    fn feed_head<'d>(
        &mut self,
        data: &'d [u8],
        on_request: &mut impl FnMut(HttpRequest),
    ) -> &'d [u8] {
        let mut data = data;
        // Empty lines before a request line are tolerated (RFC 9112 §2.2).
        if self.buf.is_empty() {
            let skip = data
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(data.len());
            data = data.get(skip..).unwrap_or_default();
            if data.is_empty() {
                return data;
            }
        }
        let searched = self.buf.len();
        let room = MAX_HEAD.saturating_sub(self.buf.len()).min(data.len());
        self.buf
            .extend_from_slice(data.get(..room).unwrap_or_default());
        if method_ok(&self.buf) == Some(false) {
            self.state = if self.requests == 0 {
                HttpScanState::NotHttp
            } else {
                HttpScanState::Stopped("bytes after a request are not a request line")
            };
            return &[];
        }
        let Some(end) = head_end(&self.buf, searched) else {
            if self.buf.len() >= MAX_HEAD {
                self.state = HttpScanState::Stopped("request head longer than 16 KiB");
            }
            return &[];
        };
        // The bytes of `data` after the head go to the body.
        let consumed_from_data = end.saturating_sub(searched);
        let rest = data.get(consumed_from_data..).unwrap_or_default();
        let head = std::mem::take(&mut self.buf);
        match parse_head(head.get(..end).unwrap_or_default()) {
            Ok(parsed) => {
                if self.requests == 0 && parsed.request.method.is_empty() {
                    self.state = HttpScanState::NotHttp;
                    return &[];
                }
                self.requests += 1;
                let connect = parsed.request.method.eq_ignore_ascii_case("CONNECT");
                on_request(parsed.request);
                if connect {
                    // Once the proxy agrees (its reply is not looked at) the client speaks the
                    // destination's protocol; a refused CONNECT is usually followed by a close.
                    self.state = HttpScanState::Tunnel;
                    return rest;
                }
                if self.requests >= MAX_REQUESTS {
                    self.state = HttpScanState::Stopped("64 requests reported");
                    return &[];
                }
                self.phase = match parsed.framing {
                    Framing::Chunked => Phase::ChunkLine { trailer: false },
                    Framing::Length(0) => Phase::Head,
                    Framing::Length(n) => Phase::Body(n),
                };
                rest
            }
            Err(reason) => {
                self.state = if self.requests == 0 {
                    HttpScanState::NotHttp
                } else {
                    HttpScanState::Stopped(reason)
                };
                &[]
            }
        }
    }

    /// Reads a chunk-size line (hex size, optional extensions) or, after the last chunk, trailer
    /// lines up to the empty one.
    fn feed_chunk_line<'d>(&mut self, data: &'d [u8], trailer: bool) -> &'d [u8] {
        let Some(newline) = data.iter().position(|b| *b == b'\n') else {
            if self.buf.len() + data.len() > MAX_CHUNK_LINE {
                self.state = HttpScanState::Stopped("chunk-size line too long");
            } else {
                self.buf.extend_from_slice(data);
            }
            return &[];
        };
        if self.buf.len() + newline > MAX_CHUNK_LINE {
            self.state = HttpScanState::Stopped("chunk-size line too long");
            return &[];
        }
        self.buf
            .extend_from_slice(data.get(..newline).unwrap_or_default());
        let rest = data.get(newline + 1..).unwrap_or_default();
        let line = std::mem::take(&mut self.buf);
        let line = trim(&line);
        if trailer {
            self.phase = if line.is_empty() {
                Phase::Head
            } else {
                Phase::ChunkLine { trailer: true }
            };
            return rest;
        }
        let size_text = line
            .split(|b| *b == b';')
            .next()
            .map(trim)
            .unwrap_or_default();
        let size = std::str::from_utf8(size_text)
            .ok()
            .filter(|s| !s.is_empty() && s.len() <= 16)
            .and_then(|s| u64::from_str_radix(s, 16).ok());
        self.phase = match size {
            Some(0) => Phase::ChunkLine { trailer: true },
            Some(n) => Phase::ChunkData(n),
            None if line.is_empty() => Phase::ChunkLine { trailer: false },
            None => {
                self.state = HttpScanState::Stopped("invalid chunk size");
                return &[];
            }
        };
        rest
    }
}
