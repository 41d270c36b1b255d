//! The built-in actions, answered as Asterisk 22 (or 13) answers them.

use std::sync::{Arc, Weak};
use std::time::Instant;

use ami_proto::{Message, ServerMessage, encode_legacy_command, md5_key};

use crate::ctx::Ctx;
use crate::pbx::{Channel, QUEUE_RULES};
use crate::settings::Personality;
use crate::shared::Shared;
use crate::sync::lock;
use crate::wire::{self, EventFilter, Rng, ack, action_id, error, event_list, with_id};

/// The built-in actions, with ListCommands' synopsis and privilege.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("Challenge", "Generate Challenge for MD5 Auth.", "<none>"),
    ("Command", "Execute Asterisk CLI Command.", "command,all"),
    (
        "CoreShowChannels",
        "List currently active channels.",
        "system,reporting,all",
    ),
    ("Events", "Control Event Flow.", "<none>"),
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
    ("Ping", "Keepalive command.", "<none>"),
    ("QueueRule", "Queue Rules.", "<none>"),
    ("QueueStatus", "Show queue status.", "<none>"),
    ("QueueSummary", "Show queue summary.", "<none>"),
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
        "coreshowchannels" => {
            let id = action_id(action);
            let items = {
                let pbx = lock(&ctx.shared.pbx);
                pbx.channels
                    .iter()
                    .map(|c| c.core_show_channel(id))
                    .collect()
            };
            let list = event_list(
                action,
                "Channels will follow",
                items,
                "CoreShowChannelsComplete",
                &[],
            );
            ctx.send(&list);
        }
        "status" => status(ctx, action),
        "queuestatus" => queue_status(ctx, action),
        "queuesummary" => {
            let id = action_id(action);
            let items = vec![lock(&ctx.shared.pbx).queue.summary(id)];
            let list = event_list(
                action,
                "Queue summary will follow",
                items,
                "QueueSummaryComplete",
                &[],
            );
            ctx.send(&list);
        }
        "queuerule" => queue_rule(ctx, action),
        "originate" => originate(ctx, action),
        "hangup" => hangup(ctx, action),
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
            let n = pbx.channels.len();
            let p = pbx.calls_processed;
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

fn status(ctx: &mut Ctx<'_>, action: &Message) {
    let id = action_id(action);
    let wanted = action
        .get("Channel")
        .filter(|c| !c.is_empty())
        .map(|c| c.to_string());
    let items: Vec<_> = {
        let pbx = lock(&ctx.shared.pbx);
        pbx.channels
            .iter()
            .filter(|c| wanted.as_deref().is_none_or(|w| c.name == w))
            .map(|c| c.status(id))
            .collect()
    };
    if wanted.is_some() && items.is_empty() {
        ctx.send(&[error(action, "No such channel")]);
        return;
    }
    let list = event_list(
        action,
        "Channel status will follow",
        items,
        "StatusComplete",
        &["Items"],
    );
    ctx.send(&list);
}

fn queue_status(ctx: &mut Ctx<'_>, action: &Message) {
    let id = action_id(action);
    let queue_filter = action
        .get("Queue")
        .filter(|q| !q.is_empty())
        .map(|q| q.to_string());
    let member_filter = action
        .get("Member")
        .filter(|m| !m.is_empty())
        .map(|m| m.to_string());
    let mut items = Vec::new();
    {
        let pbx = lock(&ctx.shared.pbx);
        let queue = &pbx.queue;
        if queue_filter.as_deref().is_none_or(|q| q == queue.name) {
            items.push(queue.params(id));
            for member in &queue.members {
                if member_filter
                    .as_deref()
                    .is_none_or(|m| m == member.location || m == member.name)
                {
                    items.push(member.queue_member(&queue.name, id));
                }
            }
            for index in 0..queue.callers.len() {
                items.push(queue.entry(index, &pbx, id));
            }
        }
    }
    let list = event_list(
        action,
        "Queue status will follow",
        items,
        "QueueStatusComplete",
        &[],
    );
    ctx.send(&list);
}

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

/// What an Originate asked for.
struct Origination {
    channel: String,
    context: String,
    exten: String,
    priority: String,
    application: Option<(String, String)>,
    caller_num: String,
    caller_name: String,
    action_id: Option<Vec<u8>>,
}

impl Origination {
    fn from_action(action: &Message, channel: String) -> Self {
        let get = |key: &str| action.get(key).map(|v| v.to_string()).unwrap_or_default();
        let (caller_name, caller_num) = parse_caller_id(&get("CallerID"));
        let application = action
            .get("Application")
            .filter(|a| !a.is_empty())
            .map(|a| (a.to_string(), get("Data")));
        let or = |value: String, default: &str| {
            if value.is_empty() {
                default.to_owned()
            } else {
                value
            }
        };
        Self {
            channel,
            context: or(get("Context"), "default"),
            exten: or(get("Exten"), "s"),
            priority: or(get("Priority"), "1"),
            application,
            caller_num,
            caller_name,
            action_id: action_id(action).map(<[u8]>::to_vec),
        }
    }

    /// `Some(reason)` when the call is to fail: a channel whose resource
    /// starts with `busy` (reason 5) or `fail` (reason 0).
    fn failure(&self) -> Option<u8> {
        let resource = self.channel.split_once('/').map_or("", |(_, r)| r);
        if resource.starts_with("busy") {
            Some(5)
        } else if resource.starts_with("fail") {
            Some(0)
        } else {
            None
        }
    }

    /// Creates the call's channels; returns the first one and the events.
    fn connect(&self, shared: &Shared) -> (Channel, Vec<ServerMessage>) {
        let mut pbx = lock(&shared.pbx);
        let suffix = pbx.next_channel_suffix();
        let uniqueid = pbx.next_uniqueid();
        let (app, data) = self
            .application
            .clone()
            .unwrap_or_else(|| ("AppDial".into(), "(Outgoing Line)".into()));
        let first = Channel {
            name: self.channel.clone(),
            state: 6,
            caller_num: self.caller_num.clone(),
            caller_name: self.caller_name.clone(),
            connected_num: self.caller_num.clone(),
            connected_name: self.caller_name.clone(),
            context: self.context.clone(),
            exten: self.exten.clone(),
            priority: self.priority.parse().unwrap_or(1),
            linkedid: uniqueid.clone(),
            uniqueid,
            application: app,
            app_data: data,
            created: Instant::now(),
        };
        let mut channels = Vec::new();
        if let Some(resource) = self.channel.strip_prefix("Local/") {
            let (exten, context) = resource.split_once('@').unwrap_or((resource, "default"));
            let base = format!("{}-{suffix}", self.channel);
            let second = Channel {
                name: format!("{base};2"),
                uniqueid: pbx.next_uniqueid(),
                context: context.into(),
                exten: exten.into(),
                priority: 1,
                application: "AppDial2".into(),
                app_data: "(Outgoing Line)".into(),
                ..first.clone()
            };
            channels.push(Channel {
                name: format!("{base};1"),
                ..first
            });
            channels.push(second);
        } else {
            channels.push(Channel {
                name: format!("{}-{suffix}", self.channel),
                ..first
            });
        }
        let events = channels.iter().map(|c| pbx.add(c.clone())).collect();
        (channels.swap_remove(0), events)
    }

    fn response_event(&self, outcome: Result<&Channel, u8>) -> ServerMessage {
        let event = ServerMessage::event("OriginateResponse").header("Privilege", "call,all");
        let event = with_id(event, self.action_id.as_deref());
        let (response, channel, reason, uniqueid) = match outcome {
            Ok(c) => ("Success", c.name.as_str(), 4, c.uniqueid.as_str()),
            Err(reason) => ("Failure", self.channel.as_str(), reason, "<unknown>"),
        };
        let mut event = event
            .header("Response", response)
            .header("Channel", channel);
        event = match &self.application {
            Some((app, data)) => event.header("Application", app).header("Data", data),
            None => event
                .header("Context", &self.context)
                .header("Exten", &self.exten),
        };
        let or_unknown = |s: &str| {
            if s.is_empty() {
                "<unknown>".to_owned()
            } else {
                s.to_owned()
            }
        };
        event
            .header("Reason", reason.to_string())
            .header("Uniqueid", uniqueid)
            .header("CallerIDNum", or_unknown(&self.caller_num))
            .header("CallerIDName", or_unknown(&self.caller_name))
    }
}

/// `Name <num>` → (name, num); a bare number is a number.
fn parse_caller_id(value: &str) -> (String, String) {
    match value.split_once('<') {
        Some((name, rest)) => (
            name.trim().trim_matches('"').to_owned(),
            rest.trim_end_matches('>').trim().to_owned(),
        ),
        None => (String::new(), value.trim().to_owned()),
    }
}

fn originate(ctx: &mut Ctx<'_>, action: &Message) {
    let Some(channel) = action.get("Channel").filter(|c| !c.is_empty()) else {
        ctx.send(&[error(action, "Channel not specified")]);
        return;
    };
    let plan = Origination::from_action(action, channel.to_string());
    let delay = ctx.shared.settings.originate_delay;
    if action
        .get("Async")
        .is_some_and(|a| wire::is_true(&a.to_str_lossy()))
    {
        ctx.send(&[ack(action, "Originate successfully queued")]);
        let weak: Weak<Shared> = Arc::downgrade(ctx.shared);
        ctx.shared.scheduler.after(
            delay,
            Box::new(move || {
                if let Some(shared) = weak.upgrade() {
                    let outcome = match plan.failure() {
                        Some(reason) => Err(reason),
                        None => {
                            let (channel, events) = plan.connect(&shared);
                            for event in &events {
                                shared.broadcast(event);
                            }
                            Ok(channel)
                        }
                    };
                    shared.broadcast(&plan.response_event(outcome.as_ref().map_err(|r| *r)));
                }
            }),
        );
    } else {
        // Asterisk answers a synchronous Originate once the call is up.
        ctx.sleep(delay);
        if plan.failure().is_some() {
            ctx.send(&[error(action, "Originate failed")]);
            return;
        }
        let (_, events) = plan.connect(ctx.shared);
        ctx.send(&[ack(action, "Originate successfully queued")]);
        for event in &events {
            ctx.shared.broadcast(event);
        }
    }
}

fn hangup(ctx: &mut Ctx<'_>, action: &Message) {
    let Some(channel) = action.get("Channel").filter(|c| !c.is_empty()) else {
        ctx.send(&[error(action, "No channel specified")]);
        return;
    };
    // Asterisk takes `Cause` as a number and ignores what does not parse.
    let cause = action
        .get("Cause")
        .and_then(|c| c.to_str_lossy().trim().parse::<u8>().ok())
        .unwrap_or(0);
    let events = lock(&ctx.shared.pbx).hangup_call(&channel.to_string(), cause);
    if events.is_empty() {
        ctx.send(&[error(action, "No such channel")]);
        return;
    }
    ctx.send(&[ack(action, "Channel Hungup")]);
    for event in &events {
        ctx.shared.broadcast(event);
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
