//! A loopback server that plays the benchmark corpus to AMI clients as fast
//! as the socket takes it, and the raw-read baseline it is compared with.
//!
//! The server writes the corpus's banner line, reads one message (the
//! client's `Login`, decoded with [`ami_proto::Decoder`]), answers it with
//! `Response: Success` and the login's `ActionID`, then writes the rest of
//! the corpus in large writes, and waits for the client to close. A client
//! that asks for an MD5 `Challenge` first gets one (any `Key` is accepted)
//! before its `Login`. It parses nothing else and allocates nothing per
//! message, so what a run measures is the client.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;

use ami_proto::{Decoded, Decoder};

/// Bytes per `write` when the server streams the corpus.
const WRITE_CHUNK: usize = 1 << 20;

/// A server on `127.0.0.1` that serves the corpus to every connection (a
/// thread each); the accept thread lives as long as the process.
#[derive(Debug)]
pub struct CorpusServer {
    addr: SocketAddr,
    _thread: JoinHandle<()>,
}

impl CorpusServer {
    /// Starts the server on an ephemeral port of `127.0.0.1` for `corpus`
    /// (a whole `gen_corpus` stream: banner line, then messages).
    pub fn start(corpus: Arc<[u8]>) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let thread = std::thread::Builder::new()
            .name("corpus-server".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    match stream {
                        Ok(stream) => {
                            let corpus = Arc::clone(&corpus);
                            std::thread::spawn(move || {
                                if let Err(e) = serve(stream, &corpus) {
                                    eprintln!("corpus server: {e}");
                                }
                            });
                        }
                        Err(e) => eprintln!("corpus server: accept: {e}"),
                    }
                }
            })?;
        Ok(Self {
            addr,
            _thread: thread,
        })
    }

    /// The address to connect to.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A `tcp://` URL for the adapters, with throwaway credentials.
    #[must_use]
    pub fn url(&self) -> String {
        format!("tcp://bench:bench@{}", self.addr)
    }
}

/// Splits a corpus into its banner line (with its CRLF) and the messages.
#[must_use]
pub fn split_banner(corpus: &[u8]) -> (&[u8], &[u8]) {
    let end = memchr::memchr(b'\n', corpus).map_or(0, |nl| nl + 1);
    corpus.split_at(end)
}

fn serve(mut stream: TcpStream, corpus: &[u8]) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (banner, body) = split_banner(corpus);
    stream.write_all(banner)?;

    // The login, whatever it is: only its ActionID is kept. An MD5
    // `Challenge` before it is answered with a fixed challenge (the key is
    // not checked), for clients that insist on one.
    let mut decoder = Decoder::new();
    let mut buf = vec![0; 64 * 1024];
    let action_id = 'login: loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        decoder.feed(&buf[..n]);
        while let Some(item) = decoder.decode() {
            if let Decoded::Message(m) = item {
                let action_id = m
                    .action_id()
                    .map(|v| v.to_str_lossy().into_owned())
                    .unwrap_or_default();
                if m.get("Action")
                    .is_some_and(|a| a.eq_ignore_ascii_case("Challenge"))
                {
                    stream.write_all(&challenge_reply(&action_id))?;
                    continue;
                }
                break 'login action_id;
            }
        }
    };
    let mut reply = Vec::new();
    reply.extend_from_slice(b"Response: Success\r\n");
    if !action_id.is_empty() {
        reply.extend_from_slice(b"ActionID: ");
        reply.extend_from_slice(action_id.as_bytes());
        reply.extend_from_slice(b"\r\n");
    }
    reply.extend_from_slice(b"Message: Authentication accepted\r\n\r\n");
    stream.write_all(&reply)?;

    for chunk in body.chunks(WRITE_CHUNK) {
        if let Err(e) = stream.write_all(chunk) {
            // The client may stop reading once it has what it needs.
            return if is_disconnect(&e) { Ok(()) } else { Err(e) };
        }
    }
    // Answer a `Logoff` (and only that) with `Goodbye`, and wait for the
    // client to close.
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if is_disconnect(&e) => break,
            Err(e) => return Err(e),
        };
        decoder.feed(&buf[..n]);
        while let Some(item) = decoder.decode() {
            if let Decoded::Message(m) = item
                && m.get("Action")
                    .is_some_and(|a| a.eq_ignore_ascii_case("Logoff"))
            {
                let mut reply = b"Response: Goodbye\r\n".to_vec();
                if let Some(id) = m.action_id() {
                    reply.extend_from_slice(b"ActionID: ");
                    reply.extend_from_slice(id.as_bytes());
                    reply.extend_from_slice(b"\r\n");
                }
                reply.extend_from_slice(b"Message: Thanks for all the fish.\r\n\r\n");
                let _ = stream.write_all(&reply);
                let _ = stream.shutdown(Shutdown::Both);
                return Ok(());
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// The answer to `Action: Challenge`: a fixed challenge, as Asterisk
/// would send a random one.
fn challenge_reply(action_id: &str) -> Vec<u8> {
    let mut reply = b"Response: Success\r\n".to_vec();
    if !action_id.is_empty() {
        reply.extend_from_slice(b"ActionID: ");
        reply.extend_from_slice(action_id.as_bytes());
        reply.extend_from_slice(b"\r\n");
    }
    reply.extend_from_slice(b"Challenge: 840215749\r\n\r\n");
    reply
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

/// The baseline: connects, sends a bare login, and reads the stream with a
/// plain `TcpStream` into a 64 KiB buffer, counting message ends
/// (`\r\n\r\n`, across reads too) with `memchr::memmem`, until `messages`
/// messages after the login's response have been seen. Returns the bytes
/// read and the messages counted (the login response excluded).
pub fn raw_read(addr: SocketAddr, messages: usize) -> io::Result<(u64, usize)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20)))?;
    stream.write_all(b"Action: Login\r\nActionID: raw-1\r\n\r\n")?;
    let finder = memchr::memmem::Finder::new(b"\r\n\r\n");
    // 3 carried bytes from the previous read, then the new ones.
    let mut buf = vec![0u8; 3 + 64 * 1024];
    let mut carry = 0;
    let mut ends = 0usize;
    let mut bytes = 0u64;
    let wanted = messages + 1;
    while ends < wanted {
        let n = stream.read(&mut buf[3..])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("closed after {ends} message ends"),
            ));
        }
        bytes += n as u64;
        let window = &buf[3 - carry..3 + n];
        // Matches never overlap (as in one pass over all the bytes): only
        // bytes after the last match may start the next one.
        let mut after_last = 0;
        for at in finder.find_iter(window) {
            ends += 1;
            after_last = at + 4;
        }
        let keep = (window.len() - after_last).min(3);
        let tail_start = 3 + n - keep;
        buf.copy_within(tail_start..tail_start + keep, 3 - keep);
        carry = keep;
    }
    drop(stream);
    Ok((bytes, ends - 1))
}
