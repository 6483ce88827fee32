//! A real SMTP server on 127.0.0.1 inside the test: it speaks enough of RFC 5321 for lettre,
//! keeps every message it accepts, and can be started late (to test a mail server that is down).

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A message as received: envelope recipient and the raw DATA.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The decoded text/plain part.
    pub fn text(&self) -> String {
        decoded_part(&self.data, "text/plain")
    }

    /// The decoded text/html part.
    pub fn html(&self) -> String {
        decoded_part(&self.data, "text/html")
    }

    /// The value of a header of the message (first occurrence, unfolded, encoded words decoded
    /// only when plain ASCII).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The first link in the text that contains `needle`.
    pub fn link(&self, needle: &str) -> String {
        self.text()
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(needle))
            .unwrap_or_else(|| panic!("no link with {needle} in:\n{}", self.text()))
            .to_owned()
    }
}

/// The fake server.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

impl SmtpServer {
    /// A server listening now.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Self::unstarted(listener.local_addr().unwrap().port());
        server.serve(listener);
        server
    }

    /// A server that has a port but does not listen yet: connections are refused until
    /// [`SmtpServer::listen`].
    pub async fn down() -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        Self::unstarted(port)
    }

    fn unstarted(port: u16) -> Self {
        Self {
            port,
            received: Arc::default(),
            arrived: Arc::new(Notify::new()),
        }
    }

    /// Starts listening on the server's port.
    pub async fn listen(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let server = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.session(stream).await });
            }
        });
    }

    async fn session(&self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        let _ = write.write_all(b"220 test.localhost ESMTP\r\n").await;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let command = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") {
                b"250-test.localhost\r\n250 8BITMIME\r\n"
            } else if command.starts_with("HELO") || command.starts_with("MAIL FROM") {
                b"250 OK\r\n"
            } else if command.starts_with("RCPT TO") {
                let address = line.trim_end()[8..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_owned();
                to.push(address);
                b"250 OK\r\n"
            } else if command == "DATA" {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    let content = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(content);
                }
                self.received.lock().unwrap().push(Received {
                    to: std::mem::take(&mut to),
                    data,
                });
                self.arrived.notify_waiters();
                b"250 queued\r\n"
            } else if command == "QUIT" {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            } else {
                b"250 OK\r\n"
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` messages have arrived (at most 20 seconds) and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("expected {n} mails, got {}", self.received().len());
            }
        }
    }
}

fn decoded_part(data: &str, content_type: &str) -> String {
    let marker = format!("Content-Type: {content_type}");
    let start = data
        .find(&marker)
        .unwrap_or_else(|| panic!("no {content_type} part in:\n{data}"));
    let part = &data[start..];
    let (head, body) = part.split_once("\r\n\r\n").unwrap();
    let body = body.split("\r\n--").next().unwrap_or(body);
    let encoding = head.to_ascii_lowercase();
    if encoding.contains("content-transfer-encoding: base64") {
        String::from_utf8(base64(body)).unwrap()
    } else if encoding.contains("content-transfer-encoding: quoted-printable") {
        String::from_utf8(quoted_printable(body)).unwrap()
    } else {
        body.to_owned()
    }
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let s = s.replace("=\r\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() + 1 {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let value = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn decoders_decode() {
    assert_eq!(base64("aGFsbG8gd8OpcmVsZA=="), "hallo wéreld".as_bytes());
    assert_eq!(
        quoted_printable("h=C3=A9=\r\nllo =3D"),
        "héllo =".as_bytes()
    );
}
