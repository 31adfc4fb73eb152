//! HTTP/1.1 message heads (RFC 9112 §3, §4, §5): start line, header fields, empty line; the
//! body, if any, follows with the framing its headers declare (`Content-Length` here).

/// A request: `METHOD target HTTP/1.1`, then `headers` in order, then the body (a
/// `Content-Length` header is added when `body` is not empty).
pub fn request(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    fields(headers, body, !body.is_empty(), out);
}

/// A response: `HTTP/1.1 status reason`, then `headers`, `Content-Length` and the body.
pub fn response(
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    // A response always says how long its body is (RFC 9112 §6.3: else it runs to the close).
    fields(headers, body, true, out);
}

fn fields(headers: &[(&str, &str)], body: &[u8], with_length: bool, out: &mut Vec<u8>) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if with_length
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}
