//! The built-in actions, answered as Asterisk 22 (or 13) answers them.

use std::sync::{Arc, Weak};

use ami_proto::{Message, ServerMessage, encode_legacy_command, md5_key};

use crate::ctx::Ctx;
use crate::pbx::QUEUE_RULES;
use crate::settings::Personality;
use crate::shared::Shared;
use crate::sim::Sim;
use crate::sync::lock;
use crate::wire::{self, EventFilter, Rng, ack, action_id, error};

/// The built-in actions, with ListCommands' synopsis and privilege.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("BridgeInfo", "Get information about a bridge.", "<none>"),
    (
        "BridgeList",
        "Get a list of bridges in the system.",
        "<none>",
    ),
    ("Challenge", "Generate Challenge for MD5 Auth.", "<none>"),
    (
        "ConfbridgeList",
        "List participants in a conference.",
        "<none>",
    ),
    ("ConfbridgeListRooms", "List active conferences.", "<none>"),
    ("ConfbridgeMute", "Mute a Confbridge user.", "call,all"),
    ("ConfbridgeUnmute", "Unmute a Confbridge user.", "call,all"),
    ("Command", "Execute Asterisk CLI Command.", "command,all"),
    (
        "CoreShowChannels",
        "List currently active channels.",
        "system,reporting,all",
    ),
    (
        "DeviceStateList",
        "List the current known device states.",
        "call,reporting,all",
    ),
    ("Events", "Control Event Flow.", "<none>"),
    (
        "ExtensionStateList",
        "List the current known extension states.",
        "call,reporting,all",
    ),
    (
        "Filter",
        "Dynamically add filters for the current manager session.",
        "system,all",
    ),
    ("Hangup", "Hangup channel.", "system,call,all"),
    ("ListCommands", "List available manager commands.", "<none>"),
    ("Login", "Login Manager.", "<none>"),
    ("Logoff", "Logoff Manager.", "<none>"),
    ("Originate", "Originate a call.", "originate,all"),
    ("Park", "Park a channel.", "call,all"),
    ("ParkedCalls", "List parked calls.", "<none>"),
    ("Ping", "Keepalive command.", "<none>"),
    ("QueueAdd", "Add interface to queue.", "agent,all"),
    (
        "QueuePause",
        "Makes a queue member temporarily unavailable.",
        "agent,all",
    ),
    ("QueueRemove", "Remove interface from queue.", "agent,all"),
    ("QueueRule", "Queue Rules.", "<none>"),
    ("QueueStatus", "Show queue status.", "<none>"),
    ("QueueSummary", "Show queue summary.", "<none>"),
    ("Redirect", "Redirect (transfer) a call.", "call,all"),
    (
        "Status",
        "List channel status.",
        "system,call,reporting,all",
    ),
    ("UserEvent", "Send an arbitrary event.", "user,all"),
];

/// Answers a built-in action, or says it is unknown.
pub(crate) fn builtin(ctx: &mut Ctx<'_>, name: &str, action: &Message) {
    match name {
        "login" => login(ctx, action),
        "challenge" => challenge(ctx, action),
        "logoff" => {
            ctx.send(&[ServerMessage::response_to(action, "Goodbye")
                .header("Message", "Thanks for all the fish.")]);
            ctx.close();
        }
        "ping" => {
            if !ctx.shared.faults.ignore_pings() {
                ctx.send(&[ServerMessage::response_to(action, "Success")
                    .header("Ping", "Pong")
                    .header("Timestamp", wire::timestamp())]);
            }
        }
        "events" => events(ctx, action),
        "command" => command(ctx, action),
        "queuerule" => queue_rule(ctx, action),
        "originate" => originate(ctx, action),
        _ if Sim::handles(name) => simulated(ctx, action),
        "filter" => filter(ctx, action),
        "userevent" => user_event(ctx, action),
        "listcommands" => {
            let mut response = ServerMessage::response_to(action, "Success");
            for (name, synopsis, privilege) in ACTIONS {
                response = response.header(name, format!("{synopsis}  (Priv: {privilege})"));
            }
            ctx.send(&[response]);
        }
        _ => {
            let shown = action
                .get("Action")
                .map(|a| a.to_string())
                .unwrap_or_default();
            ctx.send(&[error(
                action,
                &format!(
                    "Invalid/unknown command: {shown}. Use Action: ListCommands to show available commands."
                ),
            )]);
        }
    }
}

fn login(ctx: &mut Ctx<'_>, action: &Message) {
    if lock(&ctx.session.status).logged_in {
        ctx.send(&[ack(action, "Already authenticated")]);
        return;
    }
    if ctx.shared.faults.refuse_login() || !authenticate(ctx, action) {
        ctx.sleep(ctx.shared.settings.failed_login_delay);
        ctx.send(&[error(action, "Authentication failed")]);
        ctx.close();
        return;
    }
    let filter = ctx.login_filter(Some(action));
    let mut answer = vec![ack(action, "Authentication accepted")];
    if filter.has_class("system") {
        let uptime = lock(&ctx.shared.pbx).uptime().to_string();
        answer.push(
            ServerMessage::event("FullyBooted")
                .header("Privilege", "system,all")
                .header("Uptime", &uptime)
                .header("LastReload", &uptime)
                .header("Status", "Fully Booted"),
        );
    }
    ctx.logged_in(filter, || ctx.send(&answer));
}

fn authenticate(ctx: &Ctx<'_>, action: &Message) -> bool {
    let Some(username) = action.get("Username") else {
        return false;
    };
    let Some((_, secret)) = ctx
        .shared
        .settings
        .users
        .iter()
        .find(|(user, _)| username.eq_ignore_ascii_case(user))
    else {
        return false;
    };
    let md5 = action
        .get("AuthType")
        .is_some_and(|t| t.eq_ignore_ascii_case("MD5"));
    if md5 {
        let challenge = lock(&ctx.session.status).challenge.clone();
        match (challenge, action.get("Key")) {
            (Some(challenge), Some(key)) => {
                key.as_bytes() == md5_key(challenge.as_bytes(), secret.as_bytes()).as_bytes()
            }
            _ => false,
        }
    } else {
        action
            .get("Secret")
            .is_some_and(|s| s.as_bytes() == secret.as_bytes())
    }
}

fn challenge(ctx: &mut Ctx<'_>, action: &Message) {
    let md5 = action
        .get("AuthType")
        .is_some_and(|t| t.eq_ignore_ascii_case("MD5"));
    if !md5 {
        ctx.send(&[error(action, "Must specify AuthType")]);
        return;
    }
    let challenge = lock(&ctx.session.status)
        .challenge
        .get_or_insert_with(|| (Rng::new().next_u64() % 2_147_483_647).to_string())
        .clone();
    ctx.send(&[ServerMessage::response_to(action, "Success").header("Challenge", challenge)]);
}

fn events(ctx: &mut Ctx<'_>, action: &Message) {
    let Some(mask) = action.get("EventMask").filter(|m| !m.is_empty()) else {
        ctx.send(&[error(action, "Invalid event mask")]);
        return;
    };
    let filter = EventFilter::parse(&mask.to_str_lossy());
    let on = filter.is_on();
    lock(&ctx.session.status).filter = filter;
    ctx.send(&[ServerMessage::response_to(action, "Success")
        .header("Events", if on { "On" } else { "Off" })]);
}

// ---- Command -------------------------------------------------------------

/// Runs a CLI command: `(success, output)`; the output's lines end in `\n`.
fn cli(shared: &Shared, command: &str) -> (bool, String) {
    let words: Vec<&str> = command.split_whitespace().collect();
    let key = words.join(" ").to_ascii_lowercase();
    if let Some(output) = shared.command_output(&key) {
        return (true, output);
    }
    let legacy = shared.settings.personality == Personality::Asterisk13;
    let pbx = lock(&shared.pbx);
    let output = match key.as_str() {
        "core show version" => format!("{}\n", shared.settings.personality.version_line()),
        "core show channels" => pbx.cli_channels(legacy),
        "core show channels concise" => pbx.cli_channels_concise(),
        "core show calls" => {
            let n = pbx.channel_count();
            let p = pbx.calls_processed();
            format!(
                "{n} active call{}\n{p} call{} processed\n",
                if n == 1 { "" } else { "s" },
                if p == 1 { "" } else { "s" }
            )
        }
        "core show uptime" | "core show uptime seconds" => {
            let up = pbx.uptime();
            format!("System uptime: {up}\nLast reload: {up}\n")
        }
        "queue show" | "queue show support" => pbx.cli_queue_show(),
        "core show help" => [
            "core show calls                -- Display information on calls",
            "core show channels             -- Display information on channels",
            "core show help                 -- Display help list, or specific help on a command",
            "core show uptime               -- Show uptime information",
            "core show version              -- Display version info",
            "queue show                     -- Show status of a specified queue",
        ]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect(),
        _ => {
            let best = if words.len() > 1 {
                words[..words.len() - 1].join(" ")
            } else {
                words.join(" ")
            };
            return (
                false,
                format!(
                    "No such command '{command}' (type 'core show help {best}' for other possible commands)\n"
                ),
            );
        }
    };
    (true, output)
}

fn command(ctx: &mut Ctx<'_>, action: &Message) {
    let Some(command) = action.get("Command").filter(|c| !c.is_empty()) else {
        ctx.send(&[error(action, "No command provided")]);
        return;
    };
    let (ok, output) = cli(ctx.shared, &command.to_str_lossy());
    if ctx.shared.settings.personality == Personality::Asterisk13 {
        let mut buf = Vec::new();
        // The encoder refuses an output holding the terminator; so does
        // this server then.
        if encode_legacy_command(&mut buf, action_id(action), output.as_bytes()).is_ok() {
            ctx.session.send(buf);
        } else {
            ctx.send(&[error(action, "Command output holds the terminator")]);
        }
        return;
    }
    let mut response = ServerMessage::response_to(action, if ok { "Success" } else { "Error" })
        .header("Message", "Command output follows");
    let body = output.strip_suffix('\n').unwrap_or(&output);
    for line in body.split('\n') {
        response = response.header("Output", line.strip_suffix('\r').unwrap_or(line));
    }
    ctx.send(&[response]);
}

// ---- lists ---------------------------------------------------------------

fn queue_rule(ctx: &mut Ctx<'_>, action: &Message) {
    let wanted = action
        .get("Rule")
        .filter(|r| !r.is_empty())
        .map(|r| r.to_string());
    let mut response = ServerMessage::response_to(action, "Success");
    for (name, rules) in QUEUE_RULES {
        if wanted.as_deref().is_none_or(|w| w == *name) {
            response = response.header("RuleList", name);
            for rule in *rules {
                response = response.header("Rule", rule);
            }
        }
    }
    let mut bytes = wire::encode_all([&response]);
    // Asterisk ends this answer with one CRLF too many.
    bytes.extend_from_slice(b"\r\n");
    ctx.session.send(bytes);
}

// ---- Originate, Hangup, UserEvent ----------------------------------------

/// An action of the simulated PBX: its answer to this session, the
/// events it caused to every session.
fn simulated(ctx: &mut Ctx<'_>, action: &Message) {
    // Under the PBX's lock: no other change of the PBX gets between this
    // answer and its events, so every session sees one order.
    let mut pbx = lock(&ctx.shared.pbx);
    let (answer, events) = pbx.action(action);
    ctx.session.send(answer);
    ctx.shared.broadcast_bytes(&events);
    drop(pbx);
}

/// `Originate`: the simulated PBX makes the call after the server's
/// originate delay. With `Async: true` the answer comes at once and the
/// channels' events and `OriginateResponse` after the delay; without, the
/// answer waits for the delay.
fn originate(ctx: &mut Ctx<'_>, action: &Message) {
    if action.get("Channel").is_none_or(|c| c.is_empty()) {
        ctx.send(&[error(action, "Channel not specified")]);
        return;
    }
    let delay = ctx.shared.settings.originate_delay;
    if action
        .get("Async")
        .is_some_and(|a| wire::is_true(&a.to_str_lossy()))
    {
        ctx.send(&[ack(action, "Originate successfully queued")]);
        let weak: Weak<Shared> = Arc::downgrade(ctx.shared);
        let action = action.clone();
        ctx.shared.scheduler.after(
            delay,
            Box::new(move || {
                if let Some(shared) = weak.upgrade() {
                    // The answer was sent already; the events go out now.
                    let mut pbx = lock(&shared.pbx);
                    let (_, events) = pbx.action(&action);
                    shared.broadcast_bytes(&events);
                    drop(pbx);
                }
            }),
        );
    } else {
        // Asterisk answers a synchronous Originate once the call is up.
        ctx.sleep(delay);
        simulated(ctx, action);
    }
}

/// `Filter`: `Operation: Add` and a regular expression over the event's
/// text, `!` in front to exclude; Asterisk's messages for what it refuses.
fn filter(ctx: &mut Ctx<'_>, action: &Message) {
    let add = action
        .get("Operation")
        .is_some_and(|o| o.eq_ignore_ascii_case("Add"));
    if !add {
        ctx.send(&[error(action, "Unknown operation")]);
        return;
    }
    let Some(filter) = action.get("Filter").filter(|f| !f.is_empty()) else {
        ctx.send(&[error(
            action,
            "Filter was formatted incorrectly.  Check the syntax of the filter given.",
        )]);
        return;
    };
    let filter = filter.to_str_lossy();
    let (exclude, pattern) = match filter.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, &*filter),
    };
    let Ok(regex) = regex::bytes::Regex::new(pattern) else {
        ctx.send(&[error(
            action,
            "Filter did not compile.  Check the syntax of the filter given.",
        )]);
        return;
    };
    lock(&ctx.session.status).filters.push((exclude, regex));
    ctx.send(&[ack(action, "Success")]);
}

fn user_event(ctx: &mut Ctx<'_>, action: &Message) {
    let Some(name) = action.get("UserEvent").filter(|u| !u.is_empty()) else {
        ctx.send(&[error(action, "UserEvent header missing")]);
        return;
    };
    let mut event = ServerMessage::event("UserEvent")
        .header("Privilege", "user,all")
        .header("UserEvent", name.as_bytes());
    for (key, value) in action.headers() {
        if !key.eq_ignore_ascii_case("UserEvent") && !key.eq_ignore_ascii_case("Action") {
            event = event.header(key.as_bytes(), value.as_bytes());
        }
    }
    ctx.send(&[ack(action, "Event Sent")]);
    ctx.shared.broadcast(&event);
}
