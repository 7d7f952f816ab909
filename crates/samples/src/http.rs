//! Plain HTTP/1.1 messages: requests with a Host header, the proxy's CONNECT, and responses.

/// A GET request as an updater or OS component sends it.
pub(crate) fn get(host: &str, path: &str, user_agent: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\nAccept: */*\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// A tunnel request to the office proxy.
pub(crate) fn connect(host: &str, port: u16) -> Vec<u8> {
    format!(
        "CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: WinHttp/10.0\r\nProxy-Connection: Keep-Alive\r\n\r\n"
    )
    .into_bytes()
}

/// The proxy's answer when the tunnel is up.
pub(crate) const CONNECT_OK: &[u8] = b"HTTP/1.1 200 Connection established\r\n\r\n";

/// Response headers for a body of `len` bytes.
pub(crate) fn ok_headers(content_type: &str, len: u64, etag: u32) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nLast-Modified: Mon, 01 Jun 2026 06:12:40 GMT\r\nETag: \"{etag:08x}\"\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// Bodies that connectivity checks expect verbatim.
pub(crate) fn known_body(path: &str) -> Option<&'static [u8]> {
    if path.starts_with("/connecttest.txt") {
        Some(b"Microsoft Connect Test")
    } else if path.starts_with("/success.txt") {
        Some(b"success\n")
    } else {
        None
    }
}
