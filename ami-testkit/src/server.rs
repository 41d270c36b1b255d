//! The public API: [`Builder`], the [`Server`] handle tests hold, [`demo`]
//! and [`url_or_demo`]; the accept thread that starts sessions.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use ami_proto::{EventMask, Message, ServerMessage};
use bytes::Bytes;

use crate::fault::{Fault, FaultModes};
use crate::pbx::Pbx;
use crate::reader;
use crate::replay::{Cursor, Replay, ReplayError};
use crate::reply::{Handler, Reply, handler};
use crate::scheduler::Scheduler;
use crate::session::Session;
use crate::settings::{Personality, Settings};
use crate::shared::{Shared, State};
use crate::sync::lock;
use crate::transport::Transport;
use crate::wire::Rng;
use crate::writer;

/// Configures a [`Server`]; get one from [`Server::builder`].
///
/// ```
/// use ami_proto::EventMask;
/// use ami_testkit::{Personality, Server};
///
/// let server = Server::builder()
///     .personality(Personality::Asterisk13)
///     .user("admin", "amp111")
///     .events_default(EventMask::Off)
///     .start();
/// assert!(server.url().starts_with("tcp://admin:amp111@127.0.0.1:"));
/// ```
#[must_use = "a builder does nothing until started"]
pub struct Builder {
    personality: Personality,
    users: Vec<(String, String)>,
    default_users: bool,
    events_default: EventMask,
    port: u16,
    originate_delay: Duration,
    failed_login_delay: Duration,
    write_timeout: Option<Duration>,
    busy_pbx: bool,
    replay: Option<Replay>,
    faults: Vec<Fault>,
    greeting: Option<Vec<u8>>,
    handlers: Vec<(String, Handler)>,
    commands: Vec<(String, String)>,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::Certificate>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("personality", &self.personality)
            .field("port", &self.port)
            .field("busy_pbx", &self.busy_pbx)
            .finish_non_exhaustive()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            personality: Personality::default(),
            users: vec![("admin".into(), "amp111".into())],
            default_users: true,
            events_default: EventMask::On,
            port: 0,
            originate_delay: Duration::from_millis(50),
            failed_login_delay: Duration::ZERO,
            write_timeout: None,
            busy_pbx: false,
            replay: None,
            faults: Vec::new(),
            handlers: Vec::new(),
            commands: Vec::new(),
            greeting: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl Builder {
    /// Greets every connection with these bytes instead of the AMI banner:
    /// a hostile or wrong server (`HTTP/1.1 200 OK…`, an SSH banner, escape
    /// sequences), or, empty, one that says nothing at all. What the
    /// client sends is still received (see [`Server::received`]) and
    /// answered as usual.
    ///
    /// ```
    /// use std::io::Read;
    /// let server = ami_testkit::Server::builder()
    ///     .greeting(b"HTTP/1.1 200 OK\r\n\r\n".to_vec())
    ///     .start();
    /// let mut socket = std::net::TcpStream::connect(server.addr()).unwrap();
    /// let mut first = [0; 17];
    /// socket.read_exact(&mut first).unwrap();
    /// assert_eq!(&first, b"HTTP/1.1 200 OK\r\n");
    /// ```
    pub fn greeting(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.greeting = Some(bytes.into());
        self
    }

    /// Plays Asterisk 22 (the default) or Asterisk 13.
    pub fn personality(mut self, personality: Personality) -> Self {
        self.personality = personality;
        self
    }

    /// A manager user. The first call replaces the default `admin` /
    /// `amp111`; later calls add users. [`Server::url`] names the first.
    pub fn user(mut self, username: impl Into<String>, secret: impl Into<String>) -> Self {
        if self.default_users {
            self.users.clear();
            self.default_users = false;
        }
        self.users.push((username.into(), secret.into()));
        self
    }

    /// The events of a session whose Login has no `Events` header
    /// (Asterisk: all the user may read). Default [`EventMask::On`].
    pub fn events_default(mut self, events: EventMask) -> Self {
        self.events_default = events;
        self
    }

    /// Listens on this port of 127.0.0.1 instead of a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Plays a busy PBX: every 100–500 ms one [`Sim::step`](crate::sim::Sim::step)
    /// of the server's simulated PBX — calls start, ring, are answered,
    /// queue, park, join conferences and end; members pause; devices
    /// change — whose events go to every session. The list actions answer
    /// from the same PBX. A few steps are played at start, until it has
    /// calls.
    pub fn busy_pbx(mut self) -> Self {
        self.busy_pbx = true;
        self
    }

    /// How long an Originate takes to connect (default 50 ms): the
    /// `OriginateResponse` of an async one comes this long after the
    /// response; a synchronous one is answered after it.
    pub fn originate_delay(mut self, delay: Duration) -> Self {
        self.originate_delay = delay;
        self
    }

    /// How long a failed login waits before its answer (Asterisk sleeps
    /// 1 s; default 0 to keep tests fast).
    pub fn failed_login_delay(mut self, delay: Duration) -> Self {
        self.failed_login_delay = delay;
        self
    }

    /// Disconnects a client that does not read for this long, as Asterisk
    /// does (its `writetimeout`, 100 ms by default). Default: never.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = Some(timeout);
        self
    }

    /// Replays a capture (see [`Replay`]); actions without a recorded
    /// answer get the live behaviour.
    pub fn replay(mut self, replay: Replay) -> Self {
        self.replay = Some(replay);
        self
    }

    /// Injects a fault as soon as the server starts (see [`Fault`]: modes
    /// hold for every session, one-shot faults hit the first session).
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Registers an action handler (see [`Server::on_action`]).
    pub fn on_action<R, F>(mut self, name: &str, f: F) -> Self
    where
        R: Into<Reply>,
        F: Fn(&Message) -> R + Send + Sync + 'static,
    {
        self.handlers.push((name.to_ascii_lowercase(), handler(f)));
        self
    }

    /// Sets the output of a CLI command (see [`Server::set_command`]).
    pub fn command(mut self, command: &str, output: impl Into<String>) -> Self {
        self.commands
            .push((normalize_command(command), output.into()));
        self
    }

    /// Speaks TLS, with a certificate for `localhost`, `127.0.0.1` and
    /// `::1` signed by a CA made at start: trust [`Server::cert_pem`].
    #[cfg(feature = "tls")]
    pub fn tls(mut self) -> Self {
        self.tls = Some(crate::tls::Certificate::CaSigned);
        self
    }

    /// Speaks TLS with this kind of certificate; [`tls`](Self::tls) is
    /// [`Certificate::CaSigned`](crate::Certificate::CaSigned).
    ///
    /// ```
    /// use ami_testkit::{Certificate, Server};
    /// // What most Asterisk installs have: trust the certificate itself.
    /// let server = Server::builder().tls_certificate(Certificate::SelfSignedCa).start();
    /// assert_eq!(server.cert_der(), server.presented_der());
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls_certificate(mut self, certificate: crate::tls::Certificate) -> Self {
        self.tls = Some(certificate);
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    ///
    /// If it cannot listen on 127.0.0.1 (see [`try_start`](Self::try_start)).
    pub fn start(self) -> Server {
        self.try_start()
            .expect("ami-testkit: cannot start the server")
    }

    /// Starts the server: listens on 127.0.0.1, then serves from its own
    /// threads until the [`Server`] is dropped.
    pub fn try_start(self) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", self.port))?;
        let addr = listener.local_addr()?;
        #[cfg(feature = "tls")]
        let tls = match self.tls {
            Some(certificate) => Some(crate::tls::identity(certificate)?),
            None => None,
        };
        let mut pbx = Pbx::new();
        if self.busy_pbx {
            // A few steps, and enough calls that it starts busy: one step
            // ends one call at most, so a client connecting at once still
            // finds some.
            let mut steps = 0;
            while steps < 4 || (pbx.channel_count() < 4 && steps < 200) {
                let _ = pbx.busy_step();
                steps += 1;
            }
        }
        let shared = Arc::new(Shared {
            settings: Settings {
                personality: self.personality,
                users: self.users,
                events_default: self.events_default,
                originate_delay: self.originate_delay,
                failed_login_delay: self.failed_login_delay,
                write_timeout: self.write_timeout,
                busy_pbx: self.busy_pbx,
                replay: self.replay.map(Arc::new),
                greeting: self.greeting,
                #[cfg(feature = "tls")]
                tls: self.tls.is_some(),
            },
            addr,
            shutdown: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            handlers: RwLock::new(self.handlers.into_iter().collect()),
            commands: RwLock::new(self.commands.into_iter().collect()),
            pbx: Mutex::new(pbx),
            faults: FaultModes::default(),
            scheduler: Scheduler::default(),
            #[cfg(feature = "tls")]
            tls,
        });
        for fault in self.faults {
            inject(&shared, fault);
        }
        let scheduler = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("ami-testkit-timer".into())
                .spawn(move || shared.scheduler.run())?
        };
        let accept = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("ami-testkit-accept".into())
                .spawn(move || accept_loop(&shared, &listener))?
        };
        if shared.settings.busy_pbx {
            schedule_busy_tick(&shared);
        }
        Ok(Server {
            shared,
            accept: Some(accept),
            scheduler: Some(scheduler),
        })
    }
}

fn inject(shared: &Shared, fault: Fault) {
    let modes = &shared.faults;
    match fault {
        Fault::ByteAtATime => modes.byte_at_a_time.store(true, Ordering::SeqCst),
        Fault::RefuseLogin => modes.refuse_login.store(true, Ordering::SeqCst),
        Fault::IgnorePings => modes.ignore_pings.store(true, Ordering::SeqCst),
        Fault::StallForever => modes.stall_forever.store(true, Ordering::SeqCst),
        _ => {}
    }
    if fault.is_mode() {
        return;
    }
    let sessions = shared.live_sessions();
    if sessions.is_empty() {
        lock(&shared.state).pending_faults.push(fault);
    } else {
        for session in &sessions {
            session.apply(&fault);
        }
    }
}

fn normalize_command(command: &str) -> String {
    command
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

fn schedule_busy_tick(shared: &Arc<Shared>) {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let delay = Duration::from_millis(100 + Rng::new().below(400));
    shared.scheduler.after(
        delay,
        Box::new(move || {
            if let Some(shared) = weak.upgrade() {
                // Broadcast under the PBX's lock, so that no list answer
                // gets between the change and its events.
                let mut pbx = lock(&shared.pbx);
                let events = pbx.busy_step();
                shared.broadcast_bytes(&events);
                drop(pbx);
                schedule_busy_tick(&shared);
            }
        }),
    );
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    for stream in listener.incoming() {
        if shared.is_shutdown() {
            return;
        }
        match stream {
            // On failure the client just sees its socket closed.
            Ok(stream) => drop(start_session(shared, stream)),
            // Out of descriptors and the like: do not spin.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn start_session(shared: &Arc<Shared>, stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(shared.settings.write_timeout)?;
    let transport = make_transport(shared, stream)?;
    let session = Arc::new(Session::new(transport));
    session.send(greeting(shared));
    let reader = {
        let (shared, session) = (shared.clone(), session.clone());
        thread::Builder::new()
            .name("ami-testkit-read".into())
            .spawn(move || reader::run(&shared, &session))?
    };
    let writer = {
        let (shared, session) = (shared.clone(), session.clone());
        thread::Builder::new()
            .name("ami-testkit-write".into())
            .spawn(move || writer::run(&shared, &session))?
    };
    let mut state = lock(&shared.state);
    state.threads.retain(|t| !t.is_finished());
    state.threads.push(reader);
    state.threads.push(writer);
    state.sessions.retain(|s| !s.is_closed());
    state.sessions.push(session);
    shared.changed.notify_all();
    Ok(())
}

/// What a new session sends first: the banner, or the replay's prologue.
fn greeting(shared: &Shared) -> Bytes {
    if let Some(replay) = &shared.settings.replay {
        return Cursor::new(replay.clone()).prologue().clone();
    }
    if let Some(greeting) = &shared.settings.greeting {
        return Bytes::from(greeting.clone());
    }
    let mut banner = Vec::new();
    let _ = ami_proto::encode_banner(&mut banner, shared.settings.personality.ami_version());
    Bytes::from(banner)
}

#[cfg(feature = "tls")]
fn make_transport(shared: &Shared, stream: TcpStream) -> io::Result<Transport> {
    match &shared.tls {
        Some(identity) if shared.settings.tls => Ok(Transport::Tls(Box::new(
            crate::tls::TlsTransport::new(stream, identity.config.clone())?,
        ))),
        _ => Ok(Transport::Plain(stream)),
    }
}

#[cfg(not(feature = "tls"))]
fn make_transport(_shared: &Shared, stream: TcpStream) -> io::Result<Transport> {
    Ok(Transport::Plain(stream))
}

/// A running fake Asterisk. Dropping it (or [`shutdown`](Self::shutdown))
/// closes every connection and joins every thread it started.
///
/// See the [crate docs](crate) for a whole test.
pub struct Server {
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    scheduler: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.shared.addr)
            .field("personality", &self.shared.settings.personality)
            .finish_non_exhaustive()
    }
}

/// `%XX` for every byte a URL user-info part cannot hold as is.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Server {
    /// Starts a server with the defaults: Asterisk 22, user `admin` /
    /// `amp111`, a free port on 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If it cannot listen on 127.0.0.1.
    #[must_use]
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// A builder for a server with other settings.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Starts a server that replays a capture: `bin` is what Asterisk sent,
    /// `sent` what the client sent (see [`Replay`]).
    pub fn replay(bin: &[u8], sent: &[u8]) -> Result<Self, ReplayError> {
        Ok(Self::builder().replay(Replay::parse(bin, sent)?).start())
    }

    /// Starts a server that replays a capture file (see [`Replay::load`]).
    pub fn replay_capture(path: impl AsRef<Path>) -> Result<Self, ReplayError> {
        Ok(Self::builder().replay(Replay::load(path)?).start())
    }

    /// The address it listens on (127.0.0.1, a free port by default).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `tcp://admin:amp111@127.0.0.1:PORT` (`tls://…` with TLS), naming
    /// the first user, percent-encoded.
    #[must_use]
    pub fn url(&self) -> String {
        let scheme = if self.is_tls() { "tls" } else { "tcp" };
        let (user, secret) = self
            .shared
            .settings
            .users
            .first()
            .map_or(("", ""), |(u, s)| (u.as_str(), s.as_str()));
        format!(
            "{scheme}://{}:{}@{}",
            percent_encode(user),
            percent_encode(secret),
            self.shared.addr
        )
    }

    /// The first user's name.
    #[must_use]
    pub fn username(&self) -> &str {
        self.shared.settings.users.first().map_or("", |(u, _)| u)
    }

    /// The first user's secret.
    #[must_use]
    pub fn secret(&self) -> &str {
        self.shared.settings.users.first().map_or("", |(_, s)| s)
    }

    /// The Asterisk it plays.
    #[must_use]
    pub fn personality(&self) -> Personality {
        self.shared.settings.personality
    }

    /// Whether it speaks TLS.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        {
            self.shared.settings.tls
        }
        #[cfg(not(feature = "tls"))]
        {
            false
        }
    }

    /// The PEM of the CA certificate that signed the server's certificate:
    /// what a client trusts. `None` without TLS.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn cert_pem(&self) -> Option<&str> {
        self.shared.tls.as_ref().map(|t| t.ca_pem.as_str())
    }

    /// The same CA certificate, DER.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn cert_der(&self) -> Option<&[u8]> {
        self.shared.tls.as_ref().map(|t| t.ca_der.as_ref())
    }

    /// The certificate the server presents (its leaf), DER: what a pin
    /// names. The same as [`cert_der`](Self::cert_der) for a self-signed
    /// one.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn presented_der(&self) -> Option<&[u8]> {
        self.shared.tls.as_ref().map(|t| t.leaf_der.as_ref())
    }

    /// Answers action `name` (any case) with `f` instead of the built-in
    /// behaviour. Before login, only `Login`, `Challenge` and `Logoff`
    /// reach a handler, as in Asterisk; a `Login` handler whose first
    /// message is `Response: Success` logs the session in.
    ///
    /// ```
    /// use ami_proto::ServerMessage;
    /// use ami_testkit::Server;
    ///
    /// let server = Server::start();
    /// server.on_action("DBGet", |action| {
    ///     vec![
    ///         ServerMessage::response_to(action, "Error").header("Message", "Database entry not found"),
    ///     ]
    /// });
    /// ```
    pub fn on_action<R, F>(&self, name: &str, f: F)
    where
        R: Into<Reply>,
        F: Fn(&Message) -> R + Send + Sync + 'static,
    {
        self.shared
            .handlers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_ascii_lowercase(), handler(f));
    }

    /// Removes the handler of action `name`: the built-in answers again.
    pub fn remove_action(&self, name: &str) {
        self.shared
            .handlers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&name.to_ascii_lowercase());
    }

    /// Sets what CLI command `command` prints (lines ended by `\n`), for
    /// the `Command` action. Words are matched ignoring case and spacing.
    pub fn set_command(&self, command: &str, output: impl Into<String>) {
        self.shared
            .commands
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(normalize_command(command), output.into());
    }

    /// Sends an event to every logged-in session whose event mask admits
    /// it (by its `Privilege` classes; one without `Privilege` goes to every
    /// session with events on). Returns how many sessions it went to; 0 if
    /// the encoder refuses it.
    pub fn push_event(&self, event: ServerMessage) -> usize {
        self.shared.broadcast(&event)
    }

    /// Sends raw bytes to every logged-in session, whatever its event mask.
    pub fn push_bytes(&self, bytes: impl AsRef<[u8]>) -> usize {
        let bytes = bytes::Bytes::copy_from_slice(bytes.as_ref());
        let sessions = self.shared.live_sessions();
        let mut count = 0;
        for session in sessions.iter().filter(|s| s.is_logged_in()) {
            session.send(bytes.clone());
            count += 1;
        }
        count
    }

    /// Every message received from clients so far, in order, all sessions
    /// together (Login included; its `Secret` is redacted in `Debug`).
    #[must_use]
    pub fn received(&self) -> Vec<Message> {
        lock(&self.shared.state).received.clone()
    }

    /// The received actions named `name` (any case).
    #[must_use]
    pub fn received_actions(&self, name: &str) -> Vec<Message> {
        lock(&self.shared.state)
            .received
            .iter()
            .filter(|m| {
                m.get("Action")
                    .is_some_and(|a| a.eq_ignore_ascii_case(name))
            })
            .cloned()
            .collect()
    }

    /// Forgets the received messages.
    pub fn clear_received(&self) {
        lock(&self.shared.state).received.clear();
    }

    /// Waits until at least `n` messages were received; returns them all,
    /// or `None` after `timeout`.
    #[must_use]
    pub fn wait_received(&self, n: usize, timeout: Duration) -> Option<Vec<Message>> {
        self.shared.wait_until(timeout, |s| {
            (s.received.len() >= n).then(|| s.received.clone())
        })
    }

    /// Waits for the first received action named `name` (any case).
    #[must_use]
    pub fn wait_for_action(&self, name: &str, timeout: Duration) -> Option<Message> {
        self.shared.wait_until(timeout, |s| {
            s.received
                .iter()
                .find(|m| {
                    m.get("Action")
                        .is_some_and(|a| a.eq_ignore_ascii_case(name))
                })
                .cloned()
        })
    }

    /// How many clients are connected.
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.shared.live_sessions().len()
    }

    /// How many connected clients are logged in.
    #[must_use]
    pub fn logged_in_count(&self) -> usize {
        self.shared
            .live_sessions()
            .iter()
            .filter(|s| s.is_logged_in())
            .count()
    }

    /// Waits until exactly `n` clients are connected.
    pub fn wait_sessions(&self, n: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |s| {
                (s.sessions.iter().filter(|s| !s.is_closed()).count() == n).then_some(())
            })
            .is_some()
    }

    /// Waits until at least `n` connected clients are logged in.
    pub fn wait_logged_in(&self, n: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |s| {
                (s.sessions.iter().filter(|s| s.is_logged_in()).count() >= n).then_some(())
            })
            .is_some()
    }

    /// Injects a fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        inject(&self.shared, fault);
    }

    /// Ends every fault mode and pending fault; stalled sessions write
    /// again.
    pub fn clear_faults(&self) {
        let modes = &self.shared.faults;
        for flag in [
            &modes.byte_at_a_time,
            &modes.refuse_login,
            &modes.ignore_pings,
            &modes.stall_forever,
        ] {
            flag.store(false, Ordering::SeqCst);
        }
        lock(&self.shared.state).pending_faults.clear();
        for session in self.shared.live_sessions() {
            session.apply(&Fault::Stall(Duration::ZERO));
        }
    }

    /// What the simulated PBX holds now (see [`sim::Truth`](crate::sim::Truth)):
    /// what a client's model of it must show.
    #[must_use]
    pub fn truth(&self) -> crate::sim::Truth {
        lock(&self.shared.pbx).sim.truth()
    }

    /// The names of the channels up now, in creation order.
    #[must_use]
    pub fn channels(&self) -> Vec<String> {
        lock(&self.shared.pbx).channel_names()
    }

    /// Stops the server now: closes every connection and joins every
    /// thread. Dropping the server does the same.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.shared.shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        {
            let mut state = lock(&self.shared.state);
            state.stopped = true;
            self.shared.changed.notify_all();
        }
        self.shared.scheduler.stop();
        // Wake the accept thread with a connection of our own.
        let woke = TcpStream::connect_timeout(&self.shared.addr, Duration::from_secs(2)).is_ok();
        if let Some(accept) = self.accept.take().filter(|_| woke) {
            let _ = accept.join();
        }
        if let Some(scheduler) = self.scheduler.take() {
            let _ = scheduler.join();
        }
        let (sessions, threads) = {
            let mut state = lock(&self.shared.state);
            (
                std::mem::take(&mut state.sessions),
                std::mem::take(&mut state.threads),
            )
        };
        for session in &sessions {
            session.mark_closed();
            session.transport.abort();
        }
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the embedded demo: a busy PBX (see [`Builder::busy_pbx`]) with
/// the defaults, for examples and a CLI run without a real Asterisk.
///
/// ```
/// let pbx = ami_testkit::demo();
/// assert!(!pbx.channels().is_empty());
/// ```
///
/// # Panics
///
/// If it cannot listen on 127.0.0.1.
#[must_use]
pub fn demo() -> Server {
    Server::builder().busy_pbx().start()
}

/// The address to use: `explicit`, else `$AMI_URL`, else a freshly started
/// [`demo`] PBX — announced in one line on standard error. Keep the
/// returned server alive as long as the address is used.
///
/// ```
/// let (url, pbx) = ami_testkit::url_or_demo(Some("tcp://admin:secret@pbx:5038".into()));
/// assert_eq!(url, "tcp://admin:secret@pbx:5038");
/// assert!(pbx.is_none());
/// ```
#[must_use]
pub fn url_or_demo(explicit: Option<String>) -> (String, Option<Server>) {
    let url = explicit.or_else(|| std::env::var("AMI_URL").ok().filter(|u| !u.is_empty()));
    match url {
        Some(url) => (url, None),
        None => {
            let pbx = demo();
            eprintln!(
                "no URL or AMI_URL: using an embedded fake Asterisk (ami-testkit) at {}",
                pbx.addr()
            );
            (pbx.url(), Some(pbx))
        }
    }
}
