//! A small blocking client for the tests: `ami_proto::Connection` driven
//! over a std socket (or TLS over one), so every test also exercises the
//! client state machine against the server.
#![allow(dead_code, unreachable_pub)]

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ami_proto::{
    Action, ActionError, ActionHandle, CloseReason, Config, Connection, Event, EventMask, Login,
    Message, Response, SendOptions,
};
use ami_testkit::Server;

/// Generous: only a broken test waits this long.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A socket the client can read and write.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

pub struct Client {
    stream: Box<dyn Stream>,
    pub conn: Connection,
    pub messages: VecDeque<Message>,
    done: HashMap<ActionHandle, Result<Response, ActionError>>,
    pub closed: Option<CloseReason>,
    pub authenticated: bool,
    pub banner: Option<String>,
    pub violations: Vec<String>,
    buf: Vec<u8>,
}

/// A config logging in as `admin` / `amp111` with these events.
pub fn config(events: EventMask) -> Config {
    Config {
        login: Some(Login::new("admin", "amp111")),
        events,
        ..Config::default()
    }
}

/// A socket to `addr` whose reads time out quickly, for polling loops.
pub fn socket(addr: SocketAddr) -> TcpStream {
    let socket = TcpStream::connect(addr).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    socket
}

impl Client {
    /// Logs in as admin with events off and waits until ready.
    pub fn connect(server: &Server) -> Self {
        Self::connect_with(server.addr(), config(EventMask::Off))
    }

    /// Logs in as admin with events on and waits until ready.
    pub fn connect_events(server: &Server) -> Self {
        Self::connect_with(server.addr(), config(EventMask::On))
    }

    pub fn connect_with(addr: SocketAddr, config: Config) -> Self {
        let mut client = Self::over(Box::new(socket(addr)), config);
        assert!(client.wait_ready(), "login failed: {:?}", client.closed);
        client
    }

    pub fn over(stream: Box<dyn Stream>, config: Config) -> Self {
        Self {
            stream,
            conn: Connection::new(config, Instant::now()),
            messages: VecDeque::new(),
            done: HashMap::new(),
            closed: None,
            authenticated: false,
            banner: None,
            violations: Vec::new(),
            buf: vec![0; 64 * 1024],
        }
    }

    /// One turn of the loop: write, handle events, read a little.
    pub fn pump(&mut self) {
        let mut out = Vec::new();
        let _ = self.conn.poll_transmit(&mut out);
        if !out.is_empty() && self.stream.write_all(&out).is_err() {
            self.conn.handle_disconnect(Instant::now());
        }
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Connected(banner) => self.banner = Some(banner.line().to_string()),
                Event::Authenticated => self.authenticated = true,
                Event::ActionCompleted { handle, outcome } => {
                    self.done.insert(handle, outcome);
                }
                Event::Message(m) => self.messages.push_back(m),
                Event::Violation(v) => self.violations.push(v.to_string()),
                Event::Closed(reason) => self.closed = Some(reason),
                _ => {}
            }
        }
        if self.closed.is_some() {
            return;
        }
        let now = Instant::now();
        if self.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
            return;
        }
        match self.stream.read(&mut self.buf) {
            Ok(0) => self.conn.handle_disconnect(Instant::now()),
            Ok(n) => self.conn.handle_input(Instant::now(), &self.buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => self.conn.handle_disconnect(Instant::now()),
        }
    }

    /// Pumps until `f` holds or `timeout` passes.
    pub fn until(&mut self, timeout: Duration, mut f: impl FnMut(&mut Self) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if f(self) {
                return true;
            }
            if Instant::now() >= deadline || (self.closed.is_some() && !f(self)) {
                return f(self);
            }
            self.pump();
        }
    }

    pub fn wait_ready(&mut self) -> bool {
        self.until(TIMEOUT, |c| c.authenticated || c.closed.is_some());
        self.authenticated
    }

    pub fn start(&mut self, action: Action) -> ActionHandle {
        self.start_with(action, SendOptions::default())
    }

    pub fn start_with(&mut self, action: Action, options: SendOptions) -> ActionHandle {
        self.conn.send_action_with(action, options, Instant::now())
    }

    pub fn wait(&mut self, handle: ActionHandle) -> Result<Response, ActionError> {
        self.until(TIMEOUT, |c| c.done.contains_key(&handle));
        self.done
            .remove(&handle)
            .expect("the action completed in time")
    }

    pub fn send(&mut self, action: Action) -> Result<Response, ActionError> {
        let handle = self.start(action);
        self.wait(handle)
    }

    pub fn send_with(
        &mut self,
        action: Action,
        options: SendOptions,
    ) -> Result<Response, ActionError> {
        let handle = self.start_with(action, options);
        self.wait(handle)
    }

    /// The next unsolicited message within `timeout`.
    pub fn next_message(&mut self, timeout: Duration) -> Option<Message> {
        self.until(timeout, |c| !c.messages.is_empty());
        self.messages.pop_front()
    }

    /// The next unsolicited event named `name`, skipping others.
    pub fn next_event_named(&mut self, name: &str, timeout: Duration) -> Option<Message> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self.next_message(left)?;
            if m.name().is_some_and(|n| n == name) {
                return Some(m);
            }
        }
    }

    pub fn wait_closed(&mut self, timeout: Duration) -> Option<CloseReason> {
        self.until(timeout, |c| c.closed.is_some());
        self.closed.clone()
    }

    /// Logs off and waits for the close.
    pub fn logoff(&mut self) -> Option<CloseReason> {
        self.conn.close(Instant::now());
        self.wait_closed(TIMEOUT)
    }
}

/// The action's name of each message.
pub fn names(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.name().map(|n| n.to_string()).unwrap_or_default())
        .collect()
}

/// `testdata/captures`.
pub fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures")
}

pub fn capture(name: &str, ext: &str) -> Vec<u8> {
    let path = captures().join(format!("{name}.{ext}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes `input` to a raw socket, then reads until `want` bytes came,
/// the server closed, or the time is up.
pub fn exchange(addr: SocketAddr, input: &[u8], want: usize) -> Vec<u8> {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    socket.write_all(input).unwrap();
    read_until(&mut socket, want, TIMEOUT)
}

/// Reads until `want` bytes came, the peer closed, or `timeout`.
pub fn read_until(socket: &mut TcpStream, want: usize, timeout: Duration) -> Vec<u8> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while got.len() < want && Instant::now() < deadline {
        match socket.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    got
}

/// Reads until the peer closes (or `timeout`).
pub fn read_to_close(socket: &mut TcpStream, timeout: Duration) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while Instant::now() < deadline {
        match socket.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (got, true),
        }
    }
    (got, false)
}

/// Replaces the values of `Timestamp:` lines with `*`.
pub fn mask_timestamps(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.split_inclusive('\n')
        .map(|line| {
            if line.starts_with("Timestamp: ") {
                let ending = if line.ends_with("\r\n") { "\r\n" } else { "\n" };
                format!("Timestamp: *{ending}")
            } else {
                line.to_owned()
            }
        })
        .collect()
}
