//! `ami`, the Asterisk Manager Interface command-line tool.
//!
//! ```text
//! ami [--url URL] [--runtime blocking|tokio|smol] command "core show channels"
//! ami action Originate Channel=Local/100@default Exten=200 Context=default Priority=1
//! ami events --filter Hangup,Newchannel --count 10 --json
//! ami ping
//! ami decode capture.bin
//! ```
//!
//! Without `--url` and without `AMI_URL` it starts the embedded fake
//! Asterisk of `ami-testkit` (a busy PBX on 127.0.0.1) and talks to it, so
//! every subcommand can be tried on a machine without Asterisk. See
//! `ami --help`, `ami <subcommand> --help` and the crate's README.
//!
//! The subcommands are written once against a small [`session::Session`]
//! trait; `--runtime` picks the adapter behind it (`ami-blocking`,
//! `ami-tokio` or `ami-smol`), and all three behave the same.

mod decode;
mod json;
mod live;
mod session;
mod text;
mod top;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ami_client::tls::Fingerprint;
use ami_client::{ClientError, ClientOptions, Incoming};
use ami_proto::{Action, EventMask, Line, Message, Response};
use clap::{Args, Parser, Subcommand};

use crate::session::{Runtime, Session};
use crate::text::visible;

/// How long `events` waits for an event before it looks at Ctrl-C again.
const EVENT_POLL: Duration = Duration::from_millis(200);

/// How long `ami` waits for Asterisk's `Goodbye` when it logs off at the
/// end, whatever `--timeout` says: after an action timed out the server is
/// not answering, and a second full timeout would only delay the exit.
const LOGOFF_GRACE: Duration = Duration::from_secs(1);

const AFTER_HELP: &str = "\
Address:
  tcp://user:secret@host:port (default port 5038), tls://user:secret@host:port
  (default port 5039), user:secret@host, host:port. Options after '?':
  auth=md5 (challenge login, like --md5), events=on|off|<mask>,
  pin=sha256:<hex> (tls:// only, like --tls-pin).
  The user and secret are percent-decoded. The secret can come from
  --secret-file or --ask-secret instead; it is never printed (--transcript
  shows 'Secret: <redacted>').

  With neither --url nor AMI_URL, ami starts an embedded fake Asterisk
  (ami-testkit: a small busy PBX on 127.0.0.1), says so on stderr, and talks
  to it.

Output:
  JSON values that are not UTF-8 (Latin-1 caller names from old phones,
  say) are printed as {\"latin1\":\"...\"}, one character per byte, so
  no byte is lost; a U+FFFD appears only where Asterisk sent one. A
  message the decoder had to skip (a line or message over its limits) is
  reported on stderr (\"ami: skipped a message: ...\") and ami goes on.
  Logging off at the end waits at most 1 s for Asterisk's Goodbye.

Exit status:
  0  success
  1  Asterisk rejected the request (Response: Error); its message is on stderr
  2  usage, address, connection, login, timeout or other errors

Examples:
  ami command \"core show channels\"
  AMI_URL=tcp://admin@pbx:5038 ami --secret-file ~/.ami-secret ping
  ami --url tls://admin:pw@pbx:5039 --ca-file ca.pem events --filter Hangup --json
  ami --url tls://admin:pw@pbx:5039 --ca-file /etc/asterisk/keys/asterisk.crt ping
  ami --url tls://admin:pw@pbx:5039 --tls-pin sha256:FD:AE:72:...:48:57 ping
  ami --runtime tokio action QueueStatus Queue=support";

/// ami: talk to Asterisk over the Asterisk Manager Interface (AMI).
///
/// Runs CLI commands, sends any action, streams events, pings, and decodes
/// raw AMI captures. Without an address it uses an embedded fake Asterisk.
#[derive(Debug, Parser)]
#[command(name = "ami", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(subcommand)]
    command: Cmd,
}

/// How to reach and log in to Asterisk (options valid before or after the
/// subcommand).
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection options")]
struct ConnectArgs {
    /// Asterisk's AMI address: tcp://user:secret@host:port, tls://…,
    /// ?auth=md5&events=… [default: an embedded fake Asterisk]
    #[arg(
        long,
        env = "AMI_URL",
        hide_env_values = true,
        value_name = "URL",
        global = true
    )]
    url: Option<String>,

    /// Which client library carries the connection (all behave the same)
    #[arg(long, value_enum, default_value_t = Runtime::Blocking, global = true)]
    runtime: Runtime,

    /// Log in with the MD5 challenge instead of a plaintext secret
    #[arg(long, global = true)]
    md5: bool,

    /// Print the AMI traffic on stderr (">>" sent, "<<" received), secrets
    /// redacted
    #[arg(long, global = true)]
    transcript: bool,

    /// Log in as this user instead of the address's
    #[arg(long, value_name = "USER", global = true)]
    user: Option<String>,

    /// Read the secret from the first line of this file ("-": stdin)
    /// instead of the address
    #[arg(
        long,
        value_name = "PATH",
        global = true,
        conflicts_with = "ask_secret"
    )]
    secret_file: Option<PathBuf>,

    /// Prompt for the secret on the terminal, without echo
    #[arg(long, global = true)]
    ask_secret: bool,

    /// Connect, login and action timeout in seconds [default: connect 10,
    /// action 30]
    #[arg(long, value_name = "SECS", value_parser = parse_secs, global = true)]
    timeout: Option<Duration>,

    /// For tls://: trust the CA certificates of this PEM file (instead of
    /// the Mozilla roots); it may be the server's own self-signed
    /// certificate (Asterisk's tlscertfile)
    #[arg(long, value_name = "PATH", global = true)]
    ca_file: Option<PathBuf>,

    /// For tls://: trust only the server certificate with this SHA-256
    /// fingerprint, as `openssl x509 -noout -fingerprint -sha256` prints it
    /// (colons and case optional); no CA file needed. Same as ?pin= in the
    /// URL
    #[arg(long, value_name = "sha256:HEX", global = true)]
    tls_pin: Option<Fingerprint>,

    /// Ping Asterisk every SECS seconds and give up on a connection whose
    /// ping is not answered within 10 s (or SECS, if shorter), so that a
    /// dead peer is noticed; 0: off [default: 20 for `events`, off
    /// otherwise]
    #[arg(long, value_name = "SECS", value_parser = parse_keepalive, global = true)]
    keepalive: Option<Duration>,

    /// For `events`: when the connection drops, say so on stderr and
    /// connect again (backoff from 0.5 s to 30 s) instead of exiting;
    /// events sent while disconnected are missed
    #[arg(long, global = true)]
    reconnect: bool,
}

/// The keepalive default of the long-running subcommands.
const EVENTS_KEEPALIVE: Duration = Duration::from_secs(20);

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run an Asterisk CLI command and print its output lines
    ///
    /// The words are joined with spaces: `ami command core show channels`
    /// is `ami command "core show channels"`. The output is the same for
    /// Asterisk 13 and 14+. An unknown or failing command prints Asterisk's
    /// message on stderr and exits with 1.
    Command {
        /// The CLI command, e.g. "core show channels"
        #[arg(required = true, value_name = "COMMAND")]
        words: Vec<String>,
    },

    /// Send any action and print Asterisk's answer as one JSON object
    ///
    /// Fields are KEY=VALUE, split at the first '=', sent in the order
    /// given; repeated keys are kept (Variable=a=1 Variable=b=2). The
    /// answer is printed on one line:
    ///
    ///   {"response":[["Key","Value"],...],"events":[[["Key","Value"],...],...],"completion":...,"output":["line",...]}
    ///
    /// "response": the response's lines in wire order (a line without a
    /// colon as a bare string); "events": the events of a list action
    /// (CoreShowChannels, QueueStatus, …) without the closing ...Complete
    /// event, which is "completion" (null when there is none); "output":
    /// the output lines of a Command. Both lists are empty when there are
    /// none. A value that is not UTF-8 is {"latin1":"..."}.
    ///
    /// If Asterisk answers Response: Error, the JSON is printed all the same
    /// (it holds Asterisk's answer), Asterisk's message goes to stderr and
    /// the exit status is 1.
    ///
    /// Example:
    ///
    ///   ami action Originate Channel=Local/100@default Exten=200 \
    ///       Context=default Priority=1 Variable=a=1 Variable=b=2
    #[command(verbatim_doc_comment)]
    Action {
        /// The action's name, e.g. Originate
        #[arg(value_name = "ACTION")]
        name: String,
        /// The action's headers
        #[arg(value_name = "KEY=VALUE")]
        fields: Vec<String>,
    },

    /// Stream events until Ctrl-C (or --count events)
    ///
    /// Each event is printed as a block of "Key: Value" lines ("Event:
    /// Name" first) and an empty line, or with --json as one JSON line
    /// [["Key","Value"],...] holding every line in wire order (one without
    /// a colon as a bare "string"; a value that is not UTF-8 as
    /// {"latin1":"..."}). With --json --typed, the headers Asterisk's docs
    /// type hold parsed values: numbers, booleans, enumerations by name
    /// (["Cause",{"code":16,"name":"NORMAL_CLEARING"}], ["Paused",true],
    /// ["ChannelStateDesc","Up"]); a value that does not parse is kept as
    /// sent. Ctrl-C logs off and exits with 0; a second
    /// Ctrl-C exits at once. Events dropped because ami could not keep up
    /// are reported on stderr ("lost N events"). The event classes can be
    /// chosen with the address's ?events=MASK (e.g. ?events=call,agent).
    Events {
        /// Only these events (names, comma-separated, any case)
        #[arg(long, value_delimiter = ',', value_name = "NAMES")]
        filter: Vec<String>,
        /// Stop after this many (matching) events
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// One JSON array of [key, value] pairs per event
        #[arg(long)]
        json: bool,
        /// With --json: parsed values (numbers, booleans, enumerations by name)
        #[arg(long, requires = "json")]
        typed: bool,
    },

    /// Send a Ping and print the round trip
    Ping,

    /// Show the PBX live: channels, calls, bridges, queues, parked calls,
    /// conferences, devices and hints, kept from events (ami-live)
    ///
    /// It syncs (CoreShowChannels, BridgeList, QueueStatus, ParkedCalls,
    /// ConfbridgeListRooms and ConfbridgeList, DeviceStateList,
    /// ExtensionStateList, Agents), prints the snapshot, then one line per
    /// change until Ctrl-C. A list the server refuses (a module not
    /// loaded) marks that part unavailable; the rest goes on.
    ///
    /// With --json the snapshot is one JSON object:
    ///
    ///   {"channels":[{"name","uniqueid","linkedid","state","bridge",...}],
    ///    "calls":[...],"bridges":[{"id","type","technology","channels":[uniqueid,...]}],
    ///    "queues":[{"name","members":[{"interface","name","status","paused","penalty",...}],
    ///               "callers":[{"uniqueid","position",...}],...}],
    ///    "parked":[{"uniqueid","lot","space",...}],
    ///    "conferences":[{"name","participants":[uniqueid,...],...}],
    ///    "devices":[{"device","state"}],"hints":[{"exten","context","status",...}],
    ///    "agents":[...],"peers":[...],"sync":{"channels":"synced",...},
    ///    "missing_events":[]}
    ///
    /// and each change one JSON line: {"change":"channel_added"|
    /// "channel_changed"|"channel_removed"|"member_changed"|...,
    /// "key":{...},"fields":[...],"object":{...}}. A removed channel's
    /// object has "hangup":{"cause":16,"name":"NORMAL_CLEARING",...}.
    ///
    /// A login whose events leave out call, dialplan or agent (?events=off)
    /// is said on stderr: the snapshot is right, the changes after it
    /// would not be.
    #[command(verbatim_doc_comment)]
    Live {
        /// Sync, print one snapshot, exit
        #[arg(long)]
        once: bool,
        /// JSON: the snapshot as one object, then one line per change
        #[arg(long)]
        json: bool,
    },

    /// The PBX live in the terminal: calls, queues, parked calls,
    /// conferences, devices and hints, kept from events
    ///
    /// A full-screen view of the live model (the same sync as `ami live`),
    /// redrawn as the PBX moves; durations tick. Panes: 1 calls (channels
    /// grouped by call: state, caller ID, duration, application, bridge),
    /// 2 queues (members with status, paused, calls taken; callers with
    /// position and wait; counters), 3 parked calls, 4 conferences, 5 device
    /// states and hints. The status line names the server and its version,
    /// the connection (reconnecting… with the next attempt), events/s and
    /// lost events.
    ///
    /// Keys: Tab / 1-5 pane, arrows or j/k select, / filter, s sort,
    /// S reverse, h hang up the selected channel (asks y/n), R sync again,
    /// ? all keys, q or Ctrl-C quit. A dropped connection is retried (backoff
    /// from 0.5 s to 5 s) without --reconnect. NO_COLOR turns colours off.
    /// Use --transcript only with stderr sent to a file.
    #[command(verbatim_doc_comment)]
    Top,

    /// Decode a raw AMI byte stream into JSON lines (no connection)
    ///
    /// The codec's decode tool (ami-proto's decode example), one JSON
    /// object per line:
    ///
    ///   {"kind":"banner","version":"11.0.0"}
    ///   {"kind":"response"|"event"|"action"|"message","fields":[["Key","Value"],...]}
    ///       with "output":["line",...] added when the message has raw text
    ///       lines, and always for a legacy Response: Follows (empty: [])
    ///   {"kind":"error","error":"..."} for a message the decoder skipped
    ///
    /// A value that is not UTF-8 is {"latin1":"..."} (one character per
    /// byte). The output does not depend on --chunk. The connection options
    /// are ignored.
    #[command(verbatim_doc_comment)]
    Decode {
        /// Feed the decoder N bytes at a time [default: all at once]
        #[arg(long, value_name = "N", value_parser = parse_chunk)]
        chunk: Option<usize>,
        /// The capture to read ("-" or none: stdin)
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
        return Err("the timeout must be a positive number of seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_keepalive(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    parse_secs(text)
}

fn parse_chunk(text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(0) => Err("the chunk size must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a number of bytes")),
    }
}

/// Why `ami` did not succeed.
#[derive(Debug)]
enum Failure {
    /// Asterisk said `Response: Error`: its message, printed as is (exit 1).
    Rejected(Vec<String>),
    /// Anything else (exit 2).
    Error(String),
    /// Standard output was closed (`ami events | head`): a normal end.
    BrokenPipe,
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Rejected(response) => Self::Rejected(asterisk_message(&response)),
            other => Self::Error(other.to_string()),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Self::BrokenPipe
        } else {
            Self::Error(error.to_string())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Rejected(lines)) => {
            for line in lines {
                eprintln!("{}", visible(&line));
            }
            ExitCode::from(1)
        }
        Err(Failure::Error(message)) => {
            // It may quote the server (a login refusal, a banner).
            eprintln!("ami: {}", visible(&message));
            ExitCode::from(2)
        }
    }
}

/// What to do once connected; built (and checked) before connecting.
enum Job {
    Command(String),
    Action(Action),
    Events {
        filter: Vec<String>,
        count: Option<u64>,
        json: bool,
        typed: bool,
    },
    Ping,
    Live {
        once: bool,
        json: bool,
    },
    Top,
}

fn run(cli: Cli) -> Result<(), Failure> {
    let job = match cli.command {
        Cmd::Decode { chunk, file } => return decode_file(file.as_deref(), chunk),
        Cmd::Command { words } => Job::Command(words.join(" ")),
        Cmd::Action { name, fields } => Job::Action(build_action(&name, &fields)?),
        Cmd::Events {
            filter,
            count,
            json,
            typed,
        } => Job::Events {
            filter,
            count,
            json,
            typed,
        },
        Cmd::Ping => Job::Ping,
        Cmd::Live { once, json } => Job::Live { once, json },
        Cmd::Top => Job::Top,
    };
    // Kept alive until the session is closed.
    let mut embedded = None;
    let url = match cli.connect.url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => {
            let server = ami_testkit::Server::builder()
                .busy_pbx()
                .try_start()
                .map_err(|e| Failure::Error(format!("cannot start the embedded Asterisk: {e}")))?;
            eprintln!(
                "ami: no --url or AMI_URL: using an embedded fake Asterisk (ami-testkit) at {}",
                server.addr()
            );
            let url = server.url();
            embedded = Some(server);
            url
        }
    };
    let wants_events = matches!(job, Job::Events { .. } | Job::Live { .. } | Job::Top);
    let login = resolve_login(&cli.connect, &url)?;
    // `top` owns the screen: what the connection has to say goes on it,
    // not on stderr, and it always reconnects.
    let notices = Arc::new(std::sync::Mutex::new(Vec::new()));
    let top_options = |options: ClientOptions| {
        let notices = notices.clone();
        options
            .on_violation(move |v| {
                if let Ok(mut n) = notices.lock() {
                    n.push(notice(v));
                }
            })
            .reconnect(top::reconnect_policy())
    };
    let mut options = client_options(&cli.connect, &url, wants_events, &login)?;
    if matches!(job, Job::Top) {
        options = top_options(options);
    }
    let endpoint = options.endpoint().to_string();
    let events_value = options.config.events.as_header_value().to_owned();
    let runtime = cli.connect.runtime;
    let mut session = session::connect(runtime, options)?;
    let result = match job {
        Job::Command(line) => command(&mut *session, &line),
        Job::Action(action) => send_action(&mut *session, action),
        Job::Events {
            filter,
            count,
            json,
            typed,
        } => {
            // The async clients reconnect by themselves; the blocking one
            // is connected anew from here.
            let again = || {
                // The same address and flags as the first time: they parse.
                let options = client_options(&cli.connect, &url, true, &login)
                    .map_err(|_| ClientError::Closing)?;
                session::connect(runtime, options)
            };
            let reconnect = (cli.connect.reconnect && runtime == Runtime::Blocking)
                .then_some(&again as &dyn Fn() -> Result<Box<dyn Session>, ClientError>);
            events(
                &mut session,
                &EventsJob {
                    filter: &filter,
                    count,
                    json: json.then_some(typed),
                    reconnect: cli.connect.reconnect,
                },
                reconnect,
            )
        }
        Job::Ping => ping(&mut *session, &endpoint),
        Job::Top => {
            let again = || {
                let options = client_options(&cli.connect, &url, true, &login)
                    .map_err(|_| ClientError::Closing)?;
                session::connect(runtime, top_options(options))
            };
            let connect_again = (runtime == Runtime::Blocking)
                .then_some(&again as &dyn Fn() -> Result<Box<dyn Session>, ClientError>);
            top::run(
                &mut session,
                &top::TopJob {
                    server: endpoint.clone(),
                    connect_again,
                    notices: notices.clone(),
                },
            )
        }
        Job::Live { once, json } => live::run(
            &mut session,
            &live::LiveJob {
                once,
                json,
                events: events_value.clone(),
            },
        ),
    };
    session::close_within(session, LOGOFF_GRACE);
    drop(embedded);
    result
}

/// The action from its name and `KEY=VALUE` fields, checked by the
/// encoder.
fn build_action(name: &str, fields: &[String]) -> Result<Action, Failure> {
    let mut action = Action::new(name);
    let mut action_id = false;
    for field in fields {
        let (key, value) = field.split_once('=').ok_or_else(|| {
            Failure::Error(format!(
                "action field {field:?} is not KEY=VALUE (e.g. Channel=Local/100@default)"
            ))
        })?;
        if key.trim().eq_ignore_ascii_case("Action") {
            return Err(Failure::Error(format!(
                "action field {field:?}: the action's name is the first argument ({name}); \
                 a second Action header would make one message two actions"
            )));
        }
        if key.eq_ignore_ascii_case("ActionID") {
            if action_id {
                return Err(Failure::Error(format!(
                    "action field {field:?}: ActionID is given twice; an action has one"
                )));
            }
            action_id = true;
        }
        action.push_header(key, value);
    }
    action
        .validate()
        .map_err(|e| Failure::Error(format!("invalid action: {e}")))?;
    Ok(action)
}

/// The user and secret, from the flags or the address (asked once, also
/// for reconnections).
fn resolve_login(args: &ConnectArgs, url: &str) -> Result<(String, String), Failure> {
    let options = ClientOptions::new(url).map_err(|e| Failure::Error(e.to_string()))?;
    let from_url = options.endpoint().login.clone();
    let user = args
        .user
        .clone()
        .or_else(|| from_url.as_ref().map(|l| l.username.clone()))
        .ok_or_else(|| {
            Failure::Error(
                "no user: put one in the address (tcp://user:secret@host) or use --user".into(),
            )
        })?;
    let secret = if let Some(path) = &args.secret_file {
        read_secret_file(path)?
    } else if args.ask_secret {
        let prompt = format!("AMI secret for {user}@{}: ", options.endpoint().authority());
        rpassword::prompt_password(prompt)
            .map_err(|e| Failure::Error(format!("cannot read the secret: {e}")))?
    } else {
        from_url
            .map(|l| l.secret.expose().to_owned())
            .unwrap_or_default()
    };
    Ok((user, secret))
}

/// The client options from the address, the flags and the login.
fn client_options(
    args: &ConnectArgs,
    url: &str,
    wants_events: bool,
    (user, secret): &(String, String),
) -> Result<ClientOptions, Failure> {
    let mut options = ClientOptions::new(url)
        .map_err(|e| Failure::Error(e.to_string()))?
        .login(user, secret.as_str());
    if args.md5 {
        options = options.md5(true);
    }
    // Only `events` wants the event stream: the others log in with
    // `Events: off` (list actions still get their events), unless the
    // address says otherwise.
    if !wants_events && options.endpoint().events.is_none() {
        options = options.events(EventMask::Off);
    }
    if let Some(timeout) = args.timeout {
        options = options.action_timeout(timeout).connect_timeout(timeout);
    }
    if let Some(path) = &args.ca_file {
        options = options.ca_file(path);
    }
    if let Some(pin) = args.tls_pin {
        options = options.tls_pin(pin);
    }
    if args.transcript {
        options = options.transcript(io::stderr());
    }
    // Skipped messages are said on stderr, and the session goes on.
    options = options.on_violation(|violation| eprintln!("ami: {}", notice(violation)));
    let keepalive = args
        .keepalive
        .or(wants_events.then_some(EVENTS_KEEPALIVE))
        .filter(|k| !k.is_zero());
    if let Some(interval) = keepalive {
        options = options.keepalive(interval, interval.min(Duration::from_secs(10)));
    }
    if args.reconnect {
        options = options.reconnect(ami_client::Reconnect::default());
    }
    Ok(options)
}

/// What `ami` says on stderr about bad input the connection survived.
fn notice(violation: &ami_proto::Violation) -> String {
    match violation {
        ami_proto::Violation::Decode(error) => format!("skipped a message: {error}"),
        other => other.to_string(),
    }
}

/// The first line of `path` (or of stdin for `-`), without its line end.
fn read_secret_file(path: &Path) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        io::stdin().read_to_string(&mut text).map(drop)
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| {
        Failure::Error(format!(
            "cannot read the secret file {}: {e}",
            path.display()
        ))
    })?;
    let line = text.lines().next().unwrap_or("");
    Ok(line.to_owned())
}

/// Asterisk's explanation of an error response: the output lines of a
/// failed Command (`No such command …`), else its `Message`, else its
/// status.
fn asterisk_message(response: &Response) -> Vec<String> {
    let mut lines: Vec<String> = response
        .output()
        .map(|l| l.to_str_lossy().into_owned())
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    if lines.is_empty() {
        lines.push(match response.text() {
            Some(text) => text.to_str_lossy().into_owned(),
            None => format!("Response: {}", response.status().to_str_lossy()),
        });
    }
    lines
}

fn command(session: &mut dyn Session, command: &str) -> Result<(), Failure> {
    let lines = session.command(command)?;
    let mut out = io::stdout().lock();
    for line in lines {
        writeln!(out, "{}", visible(&line))?;
    }
    out.flush()?;
    Ok(())
}

fn send_action(session: &mut dyn Session, action: Action) -> Result<(), Failure> {
    let (response, failure) = match session.action(action) {
        Ok(response) => (response, None),
        Err(ClientError::Rejected(response)) => {
            let message = asterisk_message(&response);
            (*response, Some(Failure::Rejected(message)))
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = io::stdout().lock();
    json::response(&mut out, &response)?;
    out.flush()?;
    failure.map_or(Ok(()), Err)
}

/// What `events` was asked for.
struct EventsJob<'a> {
    filter: &'a [String],
    count: Option<u64>,
    /// JSON lines (typed or not) instead of blocks.
    json: Option<bool>,
    /// Reconnect when the connection drops (instead of exiting).
    reconnect: bool,
}

fn events(
    session: &mut Box<dyn Session>,
    job: &EventsJob<'_>,
    connect_again: Option<&dyn Fn() -> Result<Box<dyn Session>, ClientError>>,
) -> Result<(), Failure> {
    let filter: Vec<&str> = job
        .filter
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || {
        // The first Ctrl-C ends the loop (and logs off); a second one
        // gives up at once.
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .map_err(|e| Failure::Error(format!("cannot handle Ctrl-C: {e}")))?;

    let mut out = io::stdout().lock();
    let mut printed = 0;
    while job.count.is_none_or(|n| printed < n) && !stop.load(Ordering::SeqCst) {
        let item = match session.next_event(EVENT_POLL) {
            Ok(item) => item,
            Err(ClientError::Closed(reason)) => {
                // The blocking client is closed for good: connect anew.
                let Some(again) = connect_again else {
                    return Err(ClientError::Closed(reason).into());
                };
                say_lost(&reason);
                let Some(new) = reconnect(again, &stop) else {
                    break;
                };
                *session = new;
                say_reconnected();
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match item {
            Some(Incoming::Event(event)) if wanted(&event, &filter) => {
                if let Some(typed) = job.json {
                    json::event(&mut out, &event, typed)?;
                } else {
                    write_block(&mut out, &event)?;
                }
                out.flush()?;
                printed += 1;
            }
            Some(Incoming::Lost(n)) => eprintln!("ami: lost {n} events"),
            Some(Incoming::Disconnected(reason)) => {
                if !job.reconnect {
                    return Err(ClientError::Closed(reason).into());
                }
                say_lost(&reason);
            }
            Some(Incoming::Reconnected) => say_reconnected(),
            _ => {}
        }
    }
    Ok(())
}

/// The notices of `--reconnect`, the same whichever client reconnects.
fn say_lost(reason: &ami_proto::CloseReason) {
    eprintln!(
        "ami: connection lost ({}); reconnecting",
        visible(&reason.to_string())
    );
}

fn say_reconnected() {
    eprintln!("ami: reconnected");
}

/// Connects again with backoff until it works or Ctrl-C; says why each
/// attempt failed.
fn reconnect(
    connect: &dyn Fn() -> Result<Box<dyn Session>, ClientError>,
    stop: &AtomicBool,
) -> Option<Box<dyn Session>> {
    let policy = ami_client::Reconnect::default();
    for attempt in 0.. {
        // A jitter source good enough for spreading reconnections.
        let random = f64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos()),
        ) / 1e9;
        let delay = policy.delay(attempt, random)?;
        let until = std::time::Instant::now() + delay;
        while std::time::Instant::now() < until {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            std::thread::sleep(EVENT_POLL.min(until - std::time::Instant::now()));
        }
        match connect() {
            Ok(session) => return Some(session),
            Err(e) => eprintln!("ami: reconnecting: {}", visible(&e.to_string())),
        }
    }
    None
}

fn wanted(event: &Message, filter: &[&str]) -> bool {
    filter.is_empty()
        || event
            .get("Event")
            .is_some_and(|name| filter.iter().any(|f| name.eq_ignore_ascii_case(f)))
}

/// An event as Asterisk shows it: its lines, then an empty line; control
/// characters from the wire escaped.
fn write_block(out: &mut impl Write, event: &Message) -> io::Result<()> {
    for line in event.lines() {
        match line {
            Line::Header(key, value) => writeln!(
                out,
                "{}: {}",
                visible(&key.to_str_lossy()),
                visible(&value.to_str_lossy())
            )?,
            Line::Text(text) => writeln!(out, "{}", visible(&text.to_str_lossy()))?,
        }
    }
    writeln!(out)
}

fn ping(session: &mut dyn Session, endpoint: &str) -> Result<(), Failure> {
    let rtt = session.ping()?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Pong from {endpoint}: time={:.3} ms",
        rtt.as_secs_f64() * 1000.0
    )?;
    out.flush()?;
    Ok(())
}

fn decode_file(file: Option<&Path>, chunk: Option<usize>) -> Result<(), Failure> {
    let input = match file {
        Some(path) if path != Path::new("-") => std::fs::read(path)
            .map_err(|e| Failure::Error(format!("cannot read {}: {e}", path.display())))?,
        _ => {
            let mut input = Vec::new();
            io::stdin().read_to_end(&mut input)?;
            input
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    decode::decode(&input, chunk, &mut out)?;
    out.flush()?;
    Ok(())
}
