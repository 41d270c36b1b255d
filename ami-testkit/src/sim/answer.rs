//! The actions the simulated PBX answers, as Asterisk 22 answers them:
//! the list actions and the ones that change the PBX.

use ami_proto::{Message, ServerMessage};

use super::{Call, Chan, Phase, Sim, dialplan, snapshot, yes_no};
use crate::sim::render::member_fields;
use crate::wire::{ack, action_id, encode_all, error, event_list, is_true, with_id};

/// The actions [`Sim::action`] answers (lower case).
const ACTIONS: &[&str] = &[
    "bridgeinfo",
    "bridgelist",
    "confbridgelist",
    "confbridgelistrooms",
    "confbridgemute",
    "confbridgeunmute",
    "coreshowchannels",
    "devicestatelist",
    "extensionstatelist",
    "hangup",
    "originate",
    "park",
    "parkedcalls",
    "queueadd",
    "queuepause",
    "queueremove",
    "queuestatus",
    "queuesummary",
    "redirect",
    "status",
];

/// A header's value, empty when absent.
fn get(action: &Message, key: &str) -> String {
    action.get(key).map(|v| v.to_string()).unwrap_or_default()
}

impl Sim {
    /// Whether [`action`](Self::action) knows the action `name`
    /// (case-insensitive): `BridgeInfo`, `BridgeList`, `ConfbridgeList`,
    /// `ConfbridgeListRooms`, `ConfbridgeMute`, `ConfbridgeUnmute`,
    /// `CoreShowChannels`, `DeviceStateList`, `ExtensionStateList`,
    /// `Hangup`, `Originate`, `Park`, `ParkedCalls`, `QueueAdd`,
    /// `QueuePause`, `QueueRemove`, `QueueStatus`, `QueueSummary`,
    /// `Redirect`, `Status`.
    #[must_use]
    pub fn handles(name: &str) -> bool {
        ACTIONS.contains(&name.to_ascii_lowercase().as_str())
    }

    /// Answers an action as Asterisk 22 does and returns the bytes of the
    /// answer: a response, or for a list action the whole list
    /// (`Response: Success` + `EventList: start`, the items with the
    /// ActionID, the `…Complete` event with `ListItems`). The events the
    /// action causes wait in [`take_events`](Self::take_events). An
    /// action it does not know (see [`handles`](Self::handles)) gets
    /// Asterisk's `Invalid/unknown command` error.
    ///
    /// `Originate` happens at once (the real one takes a moment): with
    /// `Async: true` the answer is `Originate successfully queued` and the
    /// `OriginateResponse` event follows the channels' events; a channel
    /// whose resource starts with `busy` or `fail` fails (reason 5 or 0).
    pub fn action(&mut self, action: &Message) -> Vec<u8> {
        self.out.clear();
        let name = action
            .name()
            .map(|n| n.to_string().to_ascii_lowercase())
            .unwrap_or_default();
        let answer = match name.as_str() {
            "coreshowchannels" => self.core_show_channels(action),
            "status" => self.status(action),
            "bridgelist" => self.bridge_list(action),
            "bridgeinfo" => self.bridge_info(action),
            "queuestatus" => self.queue_status(action),
            "queuesummary" => self.queue_summary(action),
            "parkedcalls" => self.parked_calls_list(action),
            "confbridgelistrooms" => self.confbridge_list_rooms(action),
            "confbridgelist" => self.confbridge_list(action),
            "confbridgemute" => self.confbridge_mute(action, true),
            "confbridgeunmute" => self.confbridge_mute(action, false),
            "devicestatelist" => self.device_state_list(action),
            "extensionstatelist" => self.extension_state_list(action),
            "originate" => self.originate(action),
            "hangup" => self.hangup_action(action),
            "redirect" => self.redirect_action(action),
            "park" => self.park_action(action),
            "queuepause" => self.queue_pause(action),
            "queueadd" => self.queue_add(action),
            "queueremove" => self.queue_remove(action),
            _ => vec![error(
                action,
                &format!(
                    "Invalid/unknown command: {}. Use Action: ListCommands to show available commands.",
                    get(action, "Action")
                ),
            )],
        };
        self.flush_to_pending();
        encode_all(&answer)
    }

    // ---- lists -------------------------------------------------------------

    fn duration(&self, c: &Chan) -> (u64, String) {
        let secs = self.now.saturating_sub(c.created);
        (
            secs,
            format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
        )
    }

    fn core_show_channels(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let items = self
            .channels_in_order()
            .into_iter()
            .map(|c| {
                snapshot(with_id(ServerMessage::event("CoreShowChannel"), id), "", c)
                    .header("Application", &c.app)
                    .header("ApplicationData", &c.data)
                    .header("Duration", self.duration(c).1)
                    .header("BridgeId", c.bridge.as_deref().unwrap_or(""))
            })
            .collect();
        event_list(
            action,
            "Channels will follow",
            items,
            "CoreShowChannelsComplete",
            &[],
        )
    }

    fn status(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let wanted = action
            .get("Channel")
            .filter(|c| !c.is_empty())
            .map(|c| c.to_string());
        let items: Vec<ServerMessage> = self
            .channels_in_order()
            .into_iter()
            .filter(|c| wanted.as_deref().is_none_or(|w| c.name == w))
            .map(|c| {
                let tech = c.name.split('/').next().unwrap_or_default();
                let msg = ServerMessage::event("Status").header("Privilege", "Call");
                let msg = snapshot(msg, "", c)
                    .header("Type", tech)
                    .header("DNID", "")
                    .header("EffectiveConnectedLineNum", &c.connected_num)
                    .header("EffectiveConnectedLineName", &c.connected_name)
                    .header("TimeToHangup", "0")
                    .header("BridgeID", c.bridge.as_deref().unwrap_or(""))
                    .header("Application", &c.app)
                    .header("Data", &c.data)
                    .header("Nativeformats", "(ulaw)")
                    .header("Readformat", "ulaw")
                    .header("Readtrans", "")
                    .header("Writeformat", "ulaw")
                    .header("Writetrans", "")
                    .header("Callgroup", "0")
                    .header("Pickupgroup", "0")
                    .header("Seconds", self.duration(c).0.to_string());
                with_id(msg, id)
            })
            .collect();
        if wanted.is_some() && items.is_empty() {
            return vec![error(action, "No such channel")];
        }
        event_list(
            action,
            "Channel status will follow",
            items,
            "StatusComplete",
            &["Items"],
        )
    }

    fn bridge_list(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let kind = get(action, "BridgeType");
        let items = self
            .bridges
            .iter()
            .filter(|(_, b)| kind.is_empty() || b.kind == kind)
            .map(|(bid, _)| {
                self.bridge_snapshot(with_id(ServerMessage::event("BridgeListItem"), id), bid)
            })
            .collect();
        event_list(
            action,
            "Bridge listing will follow",
            items,
            "BridgeListComplete",
            &[],
        )
    }

    fn bridge_info(&self, action: &Message) -> Vec<ServerMessage> {
        let bid = get(action, "BridgeUniqueid");
        if bid.is_empty() {
            return vec![error(action, "BridgeUniqueid must be provided")];
        }
        let Some(bridge) = self.bridges.get(&bid) else {
            return vec![error(action, "Specified BridgeUniqueid not found")];
        };
        let id = action_id(action);
        let items: Vec<ServerMessage> = bridge
            .members
            .iter()
            .filter_map(|u| self.channels.get(u))
            .map(|c| {
                snapshot(
                    with_id(ServerMessage::event("BridgeInfoChannel"), id),
                    "",
                    c,
                )
            })
            .collect();
        let count = items.len().to_string();
        let mut list = vec![
            ServerMessage::response_to(action, "Success")
                .header("EventList", "start")
                .header("Message", "Bridge channel listing will follow"),
        ];
        list.extend(items);
        let done = with_id(ServerMessage::event("BridgeInfoComplete"), id)
            .header("EventList", "Complete")
            .header("ListItems", count);
        list.push(self.bridge_snapshot(done, &bid));
        list
    }

    fn queue_status(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let queue_filter = get(action, "Queue");
        let member_filter = get(action, "Member");
        let mut items = Vec::new();
        for (name, q) in &self.queues {
            if !queue_filter.is_empty() && queue_filter != *name {
                continue;
            }
            let perf = if q.completed > 0 { "100.0" } else { "0.0" };
            let params = ServerMessage::event("QueueParams")
                .header("Queue", name)
                .header("Max", "0")
                .header("Strategy", q.strategy)
                .header("Calls", q.callers.len().to_string())
                .header("Holdtime", "0")
                .header("TalkTime", "0")
                .header("Completed", q.completed.to_string())
                .header("Abandoned", q.abandoned.to_string())
                .header("ServiceLevel", "0")
                .header("ServicelevelPerf", perf)
                .header("ServicelevelPerf2", perf)
                .header("Weight", "0");
            items.push(with_id(params, id));
            for m in &q.members {
                if member_filter.is_empty()
                    || member_filter == m.interface
                    || member_filter == m.name
                {
                    let item = member_fields(ServerMessage::event("QueueMember"), name, m, true)
                        .header("Wrapuptime", "0");
                    items.push(with_id(item, id));
                }
            }
            for (index, w) in q.callers.iter().enumerate() {
                let Some(c) = self.channels.get(&w.uniqueid) else {
                    continue;
                };
                // QueueEntry says `unknown` where snapshots say `<unknown>`.
                let plain = |s: &str| {
                    if s == "<unknown>" {
                        "unknown".to_owned()
                    } else {
                        s.to_owned()
                    }
                };
                let entry = ServerMessage::event("QueueEntry")
                    .header("Queue", name)
                    .header("Position", (index + 1).to_string())
                    .header("Channel", &c.name)
                    .header("Uniqueid", &c.uniqueid)
                    .header("CallerIDNum", plain(&c.caller_num))
                    .header("CallerIDName", plain(&c.caller_name))
                    .header("ConnectedLineNum", plain(&c.connected_num))
                    .header("ConnectedLineName", plain(&c.connected_name))
                    .header("Wait", self.now.saturating_sub(w.joined).to_string())
                    .header("Priority", "0");
                items.push(with_id(entry, id));
            }
        }
        event_list(
            action,
            "Queue status will follow",
            items,
            "QueueStatusComplete",
            &[],
        )
    }

    fn queue_summary(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let queue_filter = get(action, "Queue");
        let items = self
            .queues
            .iter()
            .filter(|(name, _)| queue_filter.is_empty() || queue_filter == **name)
            .map(|(name, q)| {
                let available = q
                    .members
                    .iter()
                    .filter(|m| !m.in_call && !m.paused && matches!(m.status, 0 | 1))
                    .count();
                let longest = q
                    .callers
                    .iter()
                    .map(|w| self.now.saturating_sub(w.joined))
                    .max()
                    .unwrap_or(0);
                let msg = ServerMessage::event("QueueSummary")
                    .header("Queue", name)
                    .header("LoggedIn", q.members.len().to_string())
                    .header("Available", available.to_string())
                    .header("Callers", q.callers.len().to_string())
                    .header("HoldTime", "0")
                    .header("TalkTime", "0")
                    .header("LongestHoldTime", longest.to_string());
                with_id(msg, id)
            })
            .collect();
        event_list(
            action,
            "Queue summary will follow",
            items,
            "QueueSummaryComplete",
            &[],
        )
    }

    fn parked_calls_list(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let mut parked: Vec<(&String, u32)> =
            self.parked.iter().map(|(u, p)| (u, p.space)).collect();
        parked.sort_by_key(|(_, space)| *space);
        let items: Vec<ServerMessage> = parked
            .into_iter()
            .map(|(uid, _)| {
                with_id(
                    self.parked_fields(ServerMessage::event("ParkedCall"), uid),
                    id,
                )
            })
            .collect();
        let count = items.len().to_string();
        let mut list = event_list(
            action,
            "Parked calls will follow",
            items,
            "ParkedCallsComplete",
            &[],
        );
        if let Some(done) = list.pop() {
            list.push(done.header("Total", count));
        }
        list
    }

    fn confbridge_list_rooms(&self, action: &Message) -> Vec<ServerMessage> {
        if self.conferences.is_empty() {
            return vec![error(action, "No active conferences.")];
        }
        let id = action_id(action);
        let items = self
            .conferences
            .iter()
            .map(|(name, c)| {
                let marked = c.participants.iter().filter(|p| p.marked).count();
                with_id(ServerMessage::event("ConfbridgeListRooms"), id)
                    .header("Conference", name)
                    .header("Parties", c.participants.len().to_string())
                    .header("Marked", marked.to_string())
                    .header("Locked", "No")
                    .header("Muted", "No")
            })
            .collect();
        event_list(
            action,
            "Confbridge conferences will follow",
            items,
            "ConfbridgeListRoomsComplete",
            &[],
        )
    }

    fn confbridge_list(&self, action: &Message) -> Vec<ServerMessage> {
        let room = get(action, "Conference");
        if room.is_empty() {
            return vec![error(action, "No Conference name provided.")];
        }
        if self.conferences.is_empty() {
            return vec![error(action, "No active conferences.")];
        }
        let Some(conference) = self.conferences.get(&room) else {
            return vec![error(action, "No Conference by that name found.")];
        };
        let id = action_id(action);
        let items = conference
            .participants
            .iter()
            .filter_map(|p| Some((p, self.channels.get(&p.uniqueid)?)))
            .map(|(p, c)| {
                let msg = with_id(ServerMessage::event("ConfbridgeList"), id)
                    .header("Conference", &room)
                    .header("Admin", yes_no(p.admin))
                    .header("MarkedUser", yes_no(p.marked))
                    .header("WaitMarked", "No")
                    .header("EndMarked", "No")
                    .header("EndMarkedAny", "No")
                    .header("Waiting", "No")
                    .header("Muted", yes_no(p.muted))
                    .header("Talking", "No")
                    .header(
                        "AnsweredTime",
                        self.now.saturating_sub(p.joined).to_string(),
                    );
                snapshot(msg, "", c)
            })
            .collect();
        event_list(
            action,
            "Confbridge user list will follow",
            items,
            "ConfbridgeListComplete",
            &[],
        )
    }

    fn confbridge_mute(&mut self, action: &Message, mute: bool) -> Vec<ServerMessage> {
        let room = get(action, "Conference");
        let channel = get(action, "Channel");
        if room.is_empty() {
            return vec![error(action, "No Conference name provided.")];
        }
        if channel.is_empty() {
            return vec![error(action, "No channel name provided.")];
        }
        let Some(conference) = self.conferences.get(&room) else {
            return vec![error(action, "No Conference by that name found.")];
        };
        let all =
            channel.eq_ignore_ascii_case("all") || channel.eq_ignore_ascii_case("participants");
        let targets: Vec<String> = conference
            .participants
            .iter()
            .filter(|p| {
                all && !p.admin
                    || self
                        .channels
                        .get(&p.uniqueid)
                        .is_some_and(|c| c.name == channel)
            })
            .map(|p| p.uniqueid.clone())
            .collect();
        if targets.is_empty() {
            return vec![error(
                action,
                "No Channel by that name found in Conference.",
            )];
        }
        for uid in targets {
            self.set_muted(&room, &uid, mute);
        }
        vec![ack(
            action,
            if mute { "User muted" } else { "User unmuted" },
        )]
    }

    fn device_state_list(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let items = self
            .devices
            .iter()
            .map(|(device, state)| {
                with_id(ServerMessage::event("DeviceStateChange"), id)
                    .header("Device", device)
                    .header("State", state)
            })
            .collect();
        event_list(
            action,
            "Device State Changes will follow",
            items,
            "DeviceStateListComplete",
            &[],
        )
    }

    fn extension_state_list(&self, action: &Message) -> Vec<ServerMessage> {
        let id = action_id(action);
        let items = self
            .hints
            .iter()
            .map(|((exten, context), hint)| {
                let (status, text) = super::extension_state(self.device_state(hint));
                with_id(ServerMessage::event("ExtensionStatus"), id)
                    .header("Exten", exten)
                    .header("Context", context)
                    .header("Hint", hint)
                    .header("Status", status.to_string())
                    .header("StatusText", text)
            })
            .collect();
        event_list(
            action,
            "Extension Statuses will follow",
            items,
            "ExtensionStateListComplete",
            &[],
        )
    }

    // ---- actions that change the PBX -----------------------------------------

    fn originate(&mut self, action: &Message) -> Vec<ServerMessage> {
        let channel = get(action, "Channel");
        if channel.is_empty() {
            return vec![error(action, "Channel not specified")];
        }
        let asynchronous = is_true(&get(action, "Async"));
        let or = |value: String, default: &str| {
            if value.is_empty() {
                default.to_owned()
            } else {
                value
            }
        };
        let context = or(get(action, "Context"), "default");
        let exten = or(get(action, "Exten"), "s");
        let priority: u32 = get(action, "Priority").trim().parse().unwrap_or(1);
        let application = Some(get(action, "Application")).filter(|a| !a.is_empty());
        let data = get(action, "Data");
        let (caller_name, caller_num) = parse_caller_id(&get(action, "CallerID"));
        let ids = (
            Some(get(action, "ChannelId")).filter(|i| !i.is_empty()),
            Some(get(action, "OtherChannelId")).filter(|i| !i.is_empty()),
        );
        let resource = channel.split_once('/').map_or("", |(_, r)| r);
        let failure = if resource.starts_with("busy") {
            Some(5)
        } else if resource.starts_with("fail") {
            Some(0)
        } else {
            None
        };
        let response_event = |outcome: Result<(&str, &str), u8>| {
            let event = ServerMessage::event("OriginateResponse").header("Privilege", "call,all");
            let event = with_id(event, action_id(action));
            let (response, chan, reason, uid) = match outcome {
                Ok((name, uid)) => ("Success", name.to_owned(), 4, uid.to_owned()),
                Err(reason) => (
                    "Failure",
                    channel.clone(),
                    reason,
                    ids.0.clone().unwrap_or_else(|| "<unknown>".into()),
                ),
            };
            let mut event = event.header("Response", response).header("Channel", chan);
            event = match &application {
                Some(app) => event.header("Application", app).header("Data", &data),
                None => event.header("Context", &context).header("Exten", &exten),
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
                .header("Uniqueid", uid)
                .header("CallerIDNum", or_unknown(&caller_num))
                .header("CallerIDName", or_unknown(&caller_name))
        };
        if let Some(reason) = failure {
            if asynchronous {
                self.out.push(response_event(Err(reason)));
                return vec![ack(action, "Originate successfully queued")];
            }
            return vec![error(action, "Originate failed")];
        }
        let suffix = self.suffix();
        let caller = (caller_num.as_str(), caller_name.as_str());
        let mut channels = Vec::new();
        let first = if let Some(local) = channel.strip_prefix("Local/") {
            let (l_exten, l_context) = local.split_once('@').unwrap_or((local, "default"));
            let base = format!("{channel}-{suffix}");
            let one = self.make_channel(
                format!("{base};1"),
                ids.0.clone(),
                None,
                0,
                caller,
                (l_context, l_exten),
            );
            let two = self.make_channel(
                format!("{base};2"),
                ids.1.clone(),
                Some(&one),
                4,
                caller,
                (l_context, l_exten),
            );
            self.newexten(&one, None, "AppDial2", "(Outgoing Line)");
            let local_bridge = snapshot(
                snapshot(
                    ServerMessage::event("LocalBridge").header("Privilege", "call,all"),
                    "LocalOne",
                    &self.channels[&one],
                ),
                "LocalTwo",
                &self.channels[&two],
            )
            .header("Context", l_context)
            .header("Exten", l_exten)
            .header("LocalOptimization", "Yes");
            self.out.push(local_bridge);
            let event = self
                .dial_event("DialBegin", None, &one)
                .header("DialString", local);
            self.out.push(event);
            let (app, app_data) = dialplan(l_exten);
            self.newexten(&two, None, app, app_data);
            self.set_state(&two, 6);
            self.set_state(&one, 6);
            let event = self
                .dial_event("DialEnd", None, &one)
                .header("DialStatus", "ANSWER");
            self.out.push(event);
            channels.push(one.clone());
            channels.push(two);
            one
        } else {
            let (tech_context, tech_exten) = (context.as_str(), exten.as_str());
            let one = self.make_channel(
                format!("{channel}-{suffix}"),
                ids.0.clone(),
                None,
                0,
                caller,
                (tech_context, tech_exten),
            );
            self.set_state(&one, 6);
            channels.push(one.clone());
            one
        };
        if let Some(c) = self.channels.get_mut(&first) {
            c.connected_num = or(caller_num.clone(), "<unknown>");
            c.connected_name = or(caller_name.clone(), "<unknown>");
        }
        if asynchronous {
            let name = self.channels[&first].name.clone();
            self.out.push(response_event(Ok((&name, &first))));
        }
        match &application {
            Some(app) => self.newexten(&first, None, app, &data),
            None => {
                let (app, app_data) = dialplan(&exten);
                self.newexten(&first, Some((&context, &exten, priority)), app, app_data);
            }
        }
        self.calls.push(Call {
            channels,
            phase: Phase::Alone,
            agent: None,
        });
        vec![ack(action, "Originate successfully queued")]
    }

    fn hangup_action(&mut self, action: &Message) -> Vec<ServerMessage> {
        let channel = get(action, "Channel");
        if channel.is_empty() {
            return vec![error(action, "No channel specified")];
        }
        // Asterisk takes `Cause` as a number and ignores what does not parse.
        let cause = get(action, "Cause").trim().parse::<u8>().unwrap_or(0);
        if let Some(pattern) = channel.strip_prefix('/').and_then(|c| c.strip_suffix('/')) {
            let Ok(regex) = regex::Regex::new(pattern) else {
                return vec![error(action, "Invalid regex")];
            };
            let id = action_id(action);
            let matched: Vec<(String, String)> = self
                .channels_in_order()
                .into_iter()
                .filter(|c| regex.is_match(&c.name))
                .map(|c| (c.uniqueid.clone(), c.name.clone()))
                .collect();
            let items = matched
                .iter()
                .map(|(_, name)| {
                    with_id(
                        ServerMessage::event("ChannelHungup").header("Channel", name),
                        id,
                    )
                })
                .collect();
            for (uid, _) in &matched {
                if self.channels.contains_key(uid) {
                    self.hangup_channel(uid, cause);
                }
            }
            return event_list(
                action,
                "Channels hung up will follow",
                items,
                "ChannelsHungupListComplete",
                &[],
            );
        }
        match self.uid_by_name(&channel) {
            Some(uid) if self.hangup_channel(&uid, cause) => vec![ack(action, "Channel Hungup")],
            _ => vec![error(action, "No such channel")],
        }
    }

    fn redirect_action(&mut self, action: &Message) -> Vec<ServerMessage> {
        let channel = get(action, "Channel");
        if channel.is_empty() {
            return vec![error(action, "Channel not specified")];
        }
        let Some(uid) = self.uid_by_name(&channel) else {
            return vec![error(action, &format!("Channel does not exist: {channel}"))];
        };
        let (context, exten) = {
            let c = &self.channels[&uid];
            let or = |v: String, d: &str| if v.is_empty() { d.to_owned() } else { v };
            (
                or(get(action, "Context"), &c.context),
                or(get(action, "Exten"), &c.exten),
            )
        };
        let priority = get(action, "Priority").trim().parse().unwrap_or(1);
        self.redirect(&uid, &context, &exten, priority);
        vec![ack(action, "Redirect successful")]
    }

    fn park_action(&mut self, action: &Message) -> Vec<ServerMessage> {
        let channel = get(action, "Channel");
        if channel.is_empty() {
            return vec![error(action, "Channel not specified")];
        }
        let Some(uid) = self.uid_by_name(&channel) else {
            return vec![error(action, &format!("Channel does not exist: {channel}"))];
        };
        if self.parked.contains_key(&uid) || self.parked.len() >= super::SPACES.clone().count() {
            return vec![error(action, "Park action failed")];
        }
        let Some(call) = self.call_of(&uid) else {
            return vec![error(action, "Park action failed")];
        };
        let phase = self.calls[call].phase.clone();
        if let Some(agent) = self.calls[call].agent.take() {
            let c = self.calls[call].clone();
            self.agent_complete(&c, &agent, "transfer");
        }
        let later = self.detach(&uid, false);
        self.out.extend(later);
        let timeout = get(action, "Timeout")
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map_or(super::PARKING_TIMEOUT, |ms| ms.div_ceil(1000));
        self.park_channel(&uid, &uid, timeout);
        if matches!(phase, Phase::Talking | Phase::Ringing { .. }) {
            let others: Vec<String> = self.calls[call]
                .channels
                .iter()
                .filter(|u| **u != uid)
                .cloned()
                .collect();
            for other in others {
                self.hangup_one(&other, 16);
            }
        }
        if let Some(call) = self.call_of(&uid) {
            self.calls[call].phase = Phase::Parked;
        }
        vec![ack(action, "Park successful")]
    }

    fn queue_pause(&mut self, action: &Message) -> Vec<ServerMessage> {
        let interface = get(action, "Interface");
        let paused = get(action, "Paused");
        if interface.is_empty() || paused.is_empty() {
            return vec![error(action, "Need 'Interface' and 'Paused' parameters.")];
        }
        let paused = is_true(&paused);
        let queue = get(action, "Queue");
        let reason = get(action, "Reason");
        let targets: Vec<(String, usize)> = self
            .queues
            .iter()
            .filter(|(name, _)| queue.is_empty() || queue == **name)
            .filter_map(|(name, q)| {
                Some((
                    name.clone(),
                    q.members.iter().position(|m| m.interface == interface)?,
                ))
            })
            .collect();
        if targets.is_empty() {
            return vec![error(action, "Interface not found")];
        }
        for (queue, index) in targets {
            self.set_paused(&queue, index, paused, &reason);
        }
        vec![ack(
            action,
            if paused {
                "Interface paused successfully"
            } else {
                "Interface unpaused successfully"
            },
        )]
    }

    fn queue_add(&mut self, action: &Message) -> Vec<ServerMessage> {
        let queue = get(action, "Queue");
        let interface = get(action, "Interface");
        if queue.is_empty() {
            return vec![error(action, "'Queue' not specified.")];
        }
        if interface.is_empty() {
            return vec![error(action, "'Interface' not specified.")];
        }
        if !self.queues.contains_key(&queue) {
            return vec![error(
                action,
                "Unable to add interface to queue: No such queue",
            )];
        }
        if self.member_index(&queue, &interface).is_some() {
            return vec![error(action, "Unable to add interface: Already there")];
        }
        let or = |v: String, d: &str| if v.is_empty() { d.to_owned() } else { v };
        let name = or(get(action, "MemberName"), &interface);
        let state_interface = or(get(action, "StateInterface"), &interface);
        let penalty = get(action, "Penalty").trim().parse().unwrap_or(0);
        let paused = is_true(&get(action, "Paused"));
        self.add_member(&queue, &interface, &name, &state_interface, penalty, paused);
        vec![ack(action, "Added interface to queue")]
    }

    fn queue_remove(&mut self, action: &Message) -> Vec<ServerMessage> {
        let queue = get(action, "Queue");
        let interface = get(action, "Interface");
        if queue.is_empty() || interface.is_empty() {
            return vec![error(action, "Need 'Queue' and 'Interface' parameters.")];
        }
        if !self.queues.contains_key(&queue) {
            return vec![error(
                action,
                "Unable to remove interface from queue: No such queue",
            )];
        }
        let Some(index) = self.member_index(&queue, &interface) else {
            return vec![error(action, "Unable to remove interface: Not there")];
        };
        if !self.queues[&queue].members[index].dynamic {
            return vec![error(action, "Member not dynamic")];
        }
        self.remove_member(&queue, index);
        vec![ack(action, "Removed interface from queue")]
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
