//! The server's log: one line per event, on standard error. Values a client sent (an auth flow,
//! a filter, a path) reach log lines; their control characters are escaped as the line is
//! written, so that nobody can forge a line or hide one.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

pub fn init() {
    // s3s logs every refused storage request (a 404, an AccessDenied) as an error; the S3
    // surface logs its internal errors itself.
    let filter = tracing_subscriber::EnvFilter::try_from_env("COGNATE_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info,s3s=off")
    });
    let ansi = io::IsTerminal::is_terminal(&io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(EscapedStderr { ansi })
        .with_ansi(ansi)
        .init();
}

/// Standard error, each event's control characters escaped.
struct EscapedStderr {
    /// The formatter's own colour codes (SGR sequences) pass; nothing else does.
    ansi: bool,
}

impl<'a> MakeWriter<'a> for EscapedStderr {
    type Writer = Escaping<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        Escaping {
            inner: io::stderr(),
            ansi: self.ansi,
        }
    }
}

struct Escaping<W> {
    inner: W,
    ansi: bool,
}

impl<W: Write> Write for Escaping<W> {
    /// The formatter writes each event whole, ending in its one newline.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_all(&escape(buf, self.ansi))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `event` with every control character but its final newline (and, with `ansi`, colour
/// codes) written as `\n`, `\r`, `\t` or `\x..`.
fn escape(event: &[u8], ansi: bool) -> Vec<u8> {
    let (body, newline) = match event.strip_suffix(b"\n") {
        Some(body) => (body, true),
        None => (event, false),
    };
    let mut out = Vec::with_capacity(event.len());
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        if ansi && byte == 0x1b {
            if let Some(len) = sgr_len(&body[i..]) {
                out.extend_from_slice(&body[i..i + len]);
                i += len;
                continue;
            }
        }
        match byte {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x00..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{byte:02x}").as_bytes()),
            _ => out.push(byte),
        }
        i += 1;
    }
    if newline {
        out.push(b'\n');
    }
    out
}

/// The length of a colour code (`ESC [ digits;... m`) at the start of `bytes`, if there is one.
fn sgr_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(1) != Some(&b'[') {
        return None;
    }
    let params = bytes[2..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b';')
        .count();
    (bytes.get(2 + params) == Some(&b'm')).then_some(3 + params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_line_stays_on_its_own_line() {
        let event = b"INFO request refused message=\"Unknown flow X\nERROR root signed in\"\n";
        let escaped = escape(event, false);
        assert_eq!(
            String::from_utf8(escaped).unwrap(),
            "INFO request refused message=\"Unknown flow X\\nERROR root signed in\"\n"
        );
        assert_eq!(
            escape(b"a\rb\x1b[2Kc\x07\n", false),
            b"a\\rb\\x1b[2Kc\\x07\n"
        );
    }

    #[test]
    fn colour_codes_pass_on_a_terminal_and_nothing_else_does() {
        assert_eq!(
            escape(b"\x1b[32mINFO\x1b[0m x\x1b[2K\n", true),
            b"\x1b[32mINFO\x1b[0m x\\x1b[2K\n"
        );
    }
}
