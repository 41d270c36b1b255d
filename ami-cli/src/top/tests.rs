//! Render tests: a fixed model (synthetic events fed to `Live::apply`)
//! drawn on ratatui's test backend, compared line by line; and the keys
//! driven through `Ui::key`.

use ami_live::Live;
use ami_proto::{Decoded, Decoder};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::ui::{Command, Pane, Prompt, Ui};
use super::view::{self, Conn, Status};

/// The model's clock and the screen's: 2:05 after the first channel.
const NOW: i64 = 1_700_000_125;

/// A small PBX: a bridged call, a caller waiting in `support` (two
/// members, one paused), a parked call, a conference, a device and a hint.
const EVENTS: &str = "\
Event: Newchannel\r\nChannel: PJSIP/100-00000001\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n\
CallerIDNum: 100\r\nCallerIDName: Alice\r\nUniqueid: 1700000000.1\r\nLinkedid: 1700000000.1\r\n\
Context: default\r\nExten: 200\r\nPriority: 1\r\n\r\n\
Event: Newexten\r\nChannel: PJSIP/100-00000001\r\nChannelState: 6\r\nUniqueid: 1700000000.1\r\n\
Linkedid: 1700000000.1\r\nContext: default\r\nExten: 200\r\nPriority: 2\r\nApplication: Dial\r\n\
AppData: PJSIP/200\r\n\r\n\
Event: Newchannel\r\nChannel: PJSIP/200-00000002\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n\
CallerIDNum: 200\r\nCallerIDName: Bob\r\nUniqueid: 1700000005.2\r\nLinkedid: 1700000000.1\r\n\r\n\
Event: BridgeCreate\r\nBridgeUniqueid: 5e1b0a6c-1111-2222-3333-444455556666\r\nBridgeType: basic\r\n\
BridgeTechnology: simple_bridge\r\nBridgeCreator: <unknown>\r\nBridgeName: <unknown>\r\n\r\n\
Event: BridgeEnter\r\nBridgeUniqueid: 5e1b0a6c-1111-2222-3333-444455556666\r\nBridgeType: basic\r\n\
Channel: PJSIP/100-00000001\r\nChannelState: 6\r\nUniqueid: 1700000000.1\r\nLinkedid: 1700000000.1\r\n\r\n\
Event: BridgeEnter\r\nBridgeUniqueid: 5e1b0a6c-1111-2222-3333-444455556666\r\nBridgeType: basic\r\n\
Channel: PJSIP/200-00000002\r\nChannelState: 6\r\nUniqueid: 1700000005.2\r\nLinkedid: 1700000000.1\r\n\r\n\
Event: Newchannel\r\nChannel: Local/400@default-00000003;1\r\nChannelState: 4\r\nChannelStateDesc: Ring\r\n\
CallerIDNum: 555123\r\nCallerIDName: <unknown>\r\nUniqueid: 1700000100.3\r\nLinkedid: 1700000100.3\r\n\r\n\
Event: Newexten\r\nChannel: Local/400@default-00000003;1\r\nChannelState: 4\r\nUniqueid: 1700000100.3\r\n\
Linkedid: 1700000100.3\r\nContext: default\r\nExten: 400\r\nPriority: 1\r\nApplication: Queue\r\n\
AppData: support\r\n\r\n\
Event: QueueMemberAdded\r\nQueue: support\r\nMemberName: Alice\r\nInterface: PJSIP/100\r\n\
StateInterface: PJSIP/100\r\nMembership: static\r\nPenalty: 0\r\nCallsTaken: 4\r\nLastCall: 1700000000\r\n\
Status: 2\r\nPaused: 0\r\nInCall: 1\r\n\r\n\
Event: QueueMemberAdded\r\nQueue: support\r\nMemberName: Carol\r\nInterface: PJSIP/300\r\n\
StateInterface: PJSIP/300\r\nMembership: dynamic\r\nPenalty: 0\r\nCallsTaken: 0\r\nLastCall: 0\r\n\
Status: 1\r\nPaused: 1\r\nPausedReason: lunch\r\nInCall: 0\r\n\r\n\
Event: QueueCallerJoin\r\nChannel: Local/400@default-00000003;1\r\nChannelState: 4\r\n\
Uniqueid: 1700000100.3\r\nLinkedid: 1700000100.3\r\nQueue: support\r\nPosition: 1\r\nCount: 1\r\n\r\n\
Event: Newchannel\r\nChannel: PJSIP/301-00000004\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n\
CallerIDNum: 301\r\nCallerIDName: Dan\r\nUniqueid: 1700000110.4\r\nLinkedid: 1700000110.4\r\n\r\n\
Event: ParkedCall\r\nParkeeChannel: PJSIP/301-00000004\r\nParkeeChannelState: 6\r\n\
ParkeeUniqueid: 1700000110.4\r\nParkeeLinkedid: 1700000110.4\r\nParkeeCallerIDNum: 301\r\n\
ParkerDialString: PJSIP/100\r\nParkinglot: default\r\nParkingSpace: 701\r\nParkingTimeout: 45\r\n\
ParkingDuration: 0\r\n\r\n\
Event: Newchannel\r\nChannel: PJSIP/302-00000005\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n\
CallerIDNum: 302\r\nCallerIDName: Erin\r\nUniqueid: 1700000120.5\r\nLinkedid: 1700000120.5\r\n\r\n\
Event: ConfbridgeJoin\r\nConference: 1\r\nBridgeUniqueid: 77aa\r\nChannel: PJSIP/302-00000005\r\n\
ChannelState: 6\r\nUniqueid: 1700000120.5\r\nLinkedid: 1700000120.5\r\nAdmin: Yes\r\nMuted: No\r\n\r\n\
Event: DeviceStateChange\r\nDevice: Custom:desk900\r\nState: INUSE\r\n\r\n\
Event: ExtensionStatus\r\nExten: 900\r\nContext: default\r\nHint: Custom:desk900\r\nStatus: 1\r\n\
StatusText: InUse\r\n\r\n";

fn model() -> Live {
    let mut live = Live::new();
    // Set before the events: the queue caller's and the parked call's
    // times come from this clock.
    live.set_now(NOW - 10);
    let mut decoder = Decoder::new();
    decoder.feed(EVENTS.as_bytes());
    while let Some(decoded) = decoder.decode() {
        match decoded {
            Decoded::Message(m) => live.apply(&m),
            other => panic!("bad test event: {other:?}"),
        }
    }
    live.state().check().expect("a consistent model");
    live
}

fn status() -> Status {
    Status {
        server: "tcp://admin@pbx:5038".into(),
        version: Some("Asterisk 22.10.1".into()),
        conn: Conn::Live,
        events_per_sec: 12.5,
        lost: 0,
    }
}

/// The screen as lines of text, trailing spaces cut.
fn screen(live: &Live, status: &Status, ui: &Ui, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| view::render(frame, live.state(), status, ui, NOW))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            let mut line = String::new();
            for x in 0..width {
                line.push_str(buffer[(x, y)].symbol());
            }
            line.trim_end().to_owned()
        })
        .collect()
}

fn key(ui: &mut Ui, live: &Live, code: KeyCode) -> Command {
    let view = view::pane(live.state(), ui, ui.pane, NOW);
    ui.key(KeyEvent::new(code, KeyModifiers::NONE), &view)
}

fn keys(ui: &mut Ui, live: &Live, text: &str) {
    for c in text.chars() {
        key(ui, live, KeyCode::Char(c));
    }
}

#[track_caller]
fn assert_screen(actual: &[String], expected: &str) {
    let expected: Vec<&str> = expected.split('\n').collect();
    assert_eq!(
        actual.join("\n"),
        expected.join("\n"),
        "\nscreen:\n{}\n",
        actual.join("\n")
    );
}

#[test]
fn calls_pane_groups_channels_by_call() {
    let live = model();
    let ui = Ui::new(false);
    assert_screen(
        &screen(&live, &status(), &ui, 100, 12),
        "\
1 Calls 4│2 Queues 1│3 Parked 1│4 Conferences 1│5 Devices & hints 2
 4 calls, 5 channels
 Call Channel                      State Caller ID   Time Application     Bridge
 1    PJSIP/100-00000001           Up    Alice <100> 2:05 Dial(PJSIP/200) 5e1b0a6c
 └    PJSIP/200-00000002           Up    Bob <200>   2:00                 5e1b0a6c
 2    Local/400@default-00000003;1 Ring  555123      0:25 Queue(support)
 3    PJSIP/301-00000004           Up    Dan <301>   0:15
 4    PJSIP/302-00000005           Up    Erin <302>  0:05


 live · 12.5 events/s · tcp://admin@pbx:5038 · Asterisk 22.10.1
 Tab/1-5 pane · ↑↓ select · / filter · s sort · h hang up · ? keys · q quit",
    );
}

#[test]
fn queues_pane_shows_members_callers_and_counters() {
    let live = model();
    let mut ui = Ui::new(false);
    key(&mut ui, &live, KeyCode::Char('2'));
    assert_screen(
        &screen(&live, &status(), &ui, 110, 12),
        "\
1 Calls 4│2 Queues 1│3 Parked 1│4 Conferences 1│5 Devices & hints 2
 support: 1 waiting · 0 of 2 members free · 0 completed · 0 abandoned · hold 0s · talk 0s
 Member Interface Status    Paused     In call Taken Last call
 Alice  PJSIP/100 INUSE     no         yes     4     2:05 ago
 Carol  PJSIP/300 NOT_INUSE yes: lunch no      0     -
 Pos Channel                      Caller ID Wait
 1   Local/400@default-00000003;1 555123    0:10



 live · 12.5 events/s · tcp://admin@pbx:5038 · Asterisk 22.10.1
 Tab/1-5 pane · ↑↓ select · / filter · s sort · h hang up · ? keys · q quit",
    );
}

#[test]
fn parked_conference_and_device_panes() {
    let live = model();
    let mut ui = Ui::new(false);
    let mut all = Vec::new();
    for _ in 0..3 {
        key(&mut ui, &live, KeyCode::Tab);
        key(&mut ui, &live, KeyCode::Tab);
        all.extend(screen(&live, &status(), &ui, 90, 9));
        key(&mut ui, &live, KeyCode::BackTab);
    }
    assert_screen(
        &all,
        "\
1 Calls 4│2 Queues 1│3 Parked 1│4 Conferences 1│5 Devices & hints 2
 1 parked
 Space Lot     Channel            Caller ID Parked Left Parked by
 701   default PJSIP/301-00000004 Dan <301> 0:10   0:35 PJSIP/100



 live · 12.5 events/s · tcp://admin@pbx:5038 · Asterisk 22.10.1
 Tab/1-5 pane · ↑↓ select · / filter · s sort · h hang up · ? keys · q quit
1 Calls 4│2 Queues 1│3 Parked 1│4 Conferences 1│5 Devices & hints 2
 conference 1: 1 participant
 Channel            Caller ID  Flags Time
 PJSIP/302-00000005 Erin <302> admin 0:05



 live · 12.5 events/s · tcp://admin@pbx:5038 · Asterisk 22.10.1
 Tab/1-5 pane · ↑↓ select · / filter · s sort · h hang up · ? keys · q quit
1 Calls 4│2 Queues 1│3 Parked 1│4 Conferences 1│5 Devices & hints 2
 1 hint
 Hint        Devices        Status
 900@default Custom:desk900 InUse
 1 device
 Device         State
 Custom:desk900 INUSE
 live · 12.5 events/s · tcp://admin@pbx:5038 · Asterisk 22.10.1
 Tab/1-5 pane · ↑↓ select · / filter · s sort · h hang up · ? keys · q quit",
    );
}

#[test]
fn a_narrow_terminal_drops_columns_and_cuts_names() {
    let live = model();
    let ui = Ui::new(false);
    assert_screen(
        &screen(&live, &status(), &ui, 44, 9),
        "\
1 Calls 4│2 Queue 1│3 Park 1│4 Conf 1│5 Dev
 4 calls, 5 channels
 Channel                      State Time
 PJSIP/100-00000001           Up    2:05
 PJSIP/200-00000002           Up    2:00
 Local/400@default-00000003;1 Ring  0:25
 PJSIP/301-00000004           Up    0:15
 live · 12.5 events/s · tcp://admin@pbx:5038
 Tab/1-5 pane · ↑↓ select · / filter · s sor",
    );
}

#[test]
fn a_tiny_terminal_says_so() {
    let live = model();
    let ui = Ui::new(false);
    assert_screen(
        &screen(&live, &status(), &ui, 18, 3),
        "\
ami top: too small

",
    );
}

#[test]
fn the_status_line_says_reconnecting_and_losses() {
    let live = model();
    let ui = Ui::new(false);
    let status = Status {
        conn: Conn::Reconnecting {
            attempt: 3,
            retry_in: Some(std::time::Duration::from_millis(2500)),
            reason: "connection refused".into(),
        },
        lost: 42,
        events_per_sec: 0.0,
        ..status()
    };
    let lines = screen(&live, &status, &ui, 160, 6);
    assert_screen(
        &lines[4..5],
        " reconnecting… (connection refused, attempt 3, next in 2.5s) · LOST 42 events, R syncs again · 0.0 events/s · tcp://admin@pbx:5038 · Asterisk 22.10.1",
    );
}

#[test]
fn question_mark_shows_the_keys() {
    let live = model();
    let mut ui = Ui::new(false);
    key(&mut ui, &live, KeyCode::Char('?'));
    assert!(ui.help);
    assert_screen(
        &screen(&live, &status(), &ui, 80, 17),
        "\
1 Calls 4│2 Queues 1│3 Parked 1│4 Conferences 1│5 Devices & hints 2
 4 call┌ keys ──────────────────────────────────────────────────────────┐
 Call C│ Tab, →, 1-5        next pane, or pane by number                │
 1    P│ Shift-Tab, ←       previous pane                               │
 └    P│ ↑ ↓ j k            move the selection                          │
 2    L│ PgUp PgDn Home End move by a page, to the ends                 │
 3    P│ /                  filter (Enter keeps it, Esc clears it)      │
 4    P│ s                  sort by the next key of the pane            │
       │ S                  reverse the order                           │
       │ h                  hang up the selected channel (asks y/n)     │
       │ R                  sync the model again                        │
       │ ?                  show or hide these keys                     │
       │ q, Ctrl-C          quit                                        │
       └────────────────────────────────────────────────────────────────┘

 live · 12.5 events/s · tcp://admin@pbx:5038 · Asterisk 22.10.1
 Tab/1-5 pane · ↑↓ select · / filter · s sort · h hang up · ? keys · q quit",
    );
    // Any key closes it, and does nothing else.
    assert_eq!(key(&mut ui, &live, KeyCode::Char('2')), Command::Nothing);
    assert!(!ui.help);
    assert_eq!(ui.pane, Pane::Calls);
}

#[test]
fn hangup_asks_first_and_names_the_selected_channel() {
    let live = model();
    let mut ui = Ui::new(false);
    key(&mut ui, &live, KeyCode::Down);
    assert_eq!(key(&mut ui, &live, KeyCode::Char('h')), Command::Nothing);
    assert_eq!(ui.prompt, Prompt::Hangup("PJSIP/200-00000002".into()));
    let lines = screen(&live, &status(), &ui, 100, 12);
    assert_eq!(lines[11], " Hang up PJSIP/200-00000002? y/n");
    // Anything but y cancels.
    assert_eq!(key(&mut ui, &live, KeyCode::Char('n')), Command::Nothing);
    assert_eq!(ui.prompt, Prompt::None);
    key(&mut ui, &live, KeyCode::Char('h'));
    assert_eq!(
        key(&mut ui, &live, KeyCode::Char('y')),
        Command::Hangup("PJSIP/200-00000002".into())
    );
    // A queue caller can be hung up from the queues pane; a member cannot.
    key(&mut ui, &live, KeyCode::Char('2'));
    key(&mut ui, &live, KeyCode::Char('h'));
    assert_eq!(ui.prompt, Prompt::None);
    assert_eq!(ui.message.as_deref(), Some("no channel selected"));
    key(&mut ui, &live, KeyCode::End);
    key(&mut ui, &live, KeyCode::Char('h'));
    assert_eq!(
        ui.prompt,
        Prompt::Hangup("Local/400@default-00000003;1".into())
    );
}

#[test]
fn the_selection_shows_and_follows_its_row() {
    let mut live = model();
    let mut ui = Ui::new(false);
    key(&mut ui, &live, KeyCode::Down);
    key(&mut ui, &live, KeyCode::Down);
    let selected = |live: &Live, ui: &Ui| {
        let mut terminal = Terminal::new(TestBackend::new(100, 12)).unwrap();
        terminal
            .draw(|frame| view::render(frame, live.state(), &status(), ui, NOW))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (1..10)
            .filter(|&y| {
                buffer[(2, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED)
            })
            .map(|y| {
                (0..100)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
    };
    let rows = selected(&live, &ui);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("Local/400@default-00000003;1"), "{rows:?}");
    // The first call ends: the selection stays on its channel.
    let mut decoder = Decoder::new();
    decoder.feed(
        b"Event: Hangup\r\nChannel: PJSIP/100-00000001\r\nUniqueid: 1700000000.1\r\n\
          Linkedid: 1700000000.1\r\nCause: 16\r\nCause-txt: Normal Clearing\r\n\r\n",
    );
    while let Some(Decoded::Message(m)) = decoder.decode() {
        live.apply(&m);
    }
    let rows = selected(&live, &ui);
    assert!(rows[0].contains("Local/400@default-00000003;1"), "{rows:?}");
}

#[test]
fn the_filter_keeps_whole_calls() {
    let live = model();
    let mut ui = Ui::new(false);
    key(&mut ui, &live, KeyCode::Char('/'));
    keys(&mut ui, &live, "BOB");
    assert_eq!(ui.prompt, Prompt::Filter);
    key(&mut ui, &live, KeyCode::Enter);
    assert_eq!(ui.filter, "BOB");
    let lines = screen(&live, &status(), &ui, 100, 12);
    assert_screen(
        &lines[1..6],
        " 4 calls, 5 channels · 1 shown (filter \"BOB\")
 Call Channel            State Caller ID   Time Application     Bridge
 1    PJSIP/100-00000001 Up    Alice <100> 2:05 Dial(PJSIP/200) 5e1b0a6c
 └    PJSIP/200-00000002 Up    Bob <200>   2:00                 5e1b0a6c
",
    );
    // Esc clears it.
    key(&mut ui, &live, KeyCode::Esc);
    assert_eq!(ui.filter, "");
}

#[test]
fn s_sorts_and_shift_s_reverses() {
    let live = model();
    let mut ui = Ui::new(false);
    let channels = |ui: &Ui| -> Vec<String> {
        view::pane(live.state(), ui, Pane::Calls, NOW)
            .rows()
            .map(|r| r.cells[1].clone())
            .collect()
    };
    let by_age = channels(&ui);
    key(&mut ui, &live, KeyCode::Char('s'));
    assert_eq!(ui.message.as_deref(), Some("sorted by channel"));
    let by_name = channels(&ui);
    assert_eq!(
        by_name,
        [
            "Local/400@default-00000003;1",
            "PJSIP/100-00000001",
            "PJSIP/200-00000002",
            "PJSIP/301-00000004",
            "PJSIP/302-00000005"
        ]
    );
    key(&mut ui, &live, KeyCode::Char('S'));
    let reversed = channels(&ui);
    assert_eq!(reversed[0], "PJSIP/302-00000005");
    assert_ne!(by_age, by_name);
}

#[test]
fn no_color_draws_without_colours() {
    let live = model();
    let colours = |colour: bool| {
        let mut terminal = Terminal::new(TestBackend::new(100, 12)).unwrap();
        let ui = Ui::new(colour);
        terminal
            .draw(|frame| view::render(frame, live.state(), &status(), &ui, NOW))
            .unwrap();
        terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .filter(|c| {
                c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset
            })
            .count()
    };
    assert_eq!(colours(false), 0);
    assert!(colours(true) > 0);
}

#[test]
fn q_and_ctrl_c_quit() {
    let live = model();
    let mut ui = Ui::new(false);
    assert_eq!(key(&mut ui, &live, KeyCode::Char('q')), Command::Quit);
    let view = view::pane(live.state(), &ui, ui.pane, NOW);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(ui.key(ctrl_c, &view), Command::Quit);
    // While typing a filter, q is a letter; Ctrl-C still quits.
    key(&mut ui, &live, KeyCode::Char('/'));
    assert_eq!(key(&mut ui, &live, KeyCode::Char('q')), Command::Nothing);
    assert_eq!(ui.filter, "q");
    assert_eq!(ui.key(ctrl_c, &view), Command::Quit);
}

#[test]
fn durations_tick() {
    assert_eq!(view::duration(Some(100), 100), "0:00");
    assert_eq!(view::duration(Some(100), 165), "1:05");
    assert_eq!(view::duration(Some(0), 3 * 3600 + 62), "3:01:02");
    assert_eq!(view::duration(Some(200), 100), "0:00");
    assert_eq!(view::duration(None, 100), "-");
}
