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

/// The value of an `Authorization` header for HTTP Basic (RFC 7617 §2): `Basic ` and the
/// base64 (RFC 4648 §4, padded) of `user:password`.
pub fn basic_authorization(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let plain = format!("{user}:{password}");
    let mut out = String::from("Basic ");
    for chunk in plain.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
