//! Generates the typed AMI layer of `ami-proto` from the Asterisk AMI schema
//! (`ami-proto/schema/ami-asterisk-22.json`):
//!
//! * `ami-proto/src/typed/actions.rs`: a builder per action, an enum per
//!   parameter whose docs list values;
//! * `ami-proto/src/typed/events.rs`: a view per event and the `Event` enum,
//!   typed accessors for the headers the docs type;
//! * `ami-proto/src/typed/values.rs`: an enum per list of event header
//!   values the docs give (shared by the events with the same list);
//! * `ami-proto/tests/typed/generated.rs`: the builders and accessors by wire
//!   name, for the tests that check them against the schema.
//!
//! `cargo run -p ami-codegen` rewrites the files that changed;
//! `cargo run -p ami-codegen -- --check` changes nothing and exits with
//! status 1 when a file is not what the schema gives. The output goes
//! through `rustfmt` (the `RUSTFMT` environment variable overrides which),
//! so it is exactly what `cargo fmt` keeps, and it depends on nothing but the
//! schema and the reviewed table of header types in `src/types.rs`: the
//! same inputs always give the same bytes.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use serde::Deserialize;

mod types;
use types::Ty;

/// The schema, relative to the workspace root.
const SCHEMA: &str = "ami-proto/schema/ami-asterisk-22.json";
/// The generated files, relative to the workspace root.
const ACTIONS_RS: &str = "ami-proto/src/typed/actions.rs";
const EVENTS_RS: &str = "ami-proto/src/typed/events.rs";
const VALUES_RS: &str = "ami-proto/src/typed/values.rs";
const TESTS_RS: &str = "ami-proto/tests/typed/generated.rs";

/// Parameters the docs name `Variable` once but that Asterisk reads every
/// time they occur (`astman_get_variables_order`), without the docs saying
/// so in the words the generic rule looks for.
const REPEATED_PARAMS: &[(&str, &str)] = &[("PJSIPNotify", "Variable")];

/// Parameters that stand for headers the user names: `UserEvent` passes
/// every header on (`Header1: Content1` … `HeaderN: ContentN` in the docs).
/// They get no method of their own; the builder's `header` adds them.
const FREEFORM_PARAMS: &[(&str, &str)] = &[("UserEvent", "Header1"), ("UserEvent", "HeaderN")];

/// Methods every builder has, which no parameter may take.
const BUILDER_METHODS: &[&str] = &["new", "header", "into_action", "as_action", "default"];
/// Methods every event view has, which no field may take.
const VIEW_METHODS: &[&str] = &["from_message", "raw", "as_ref"];

// ---- the schema --------------------------------------------------------------

#[derive(Deserialize)]
struct Schema {
    asterisk_version: String,
    actions: Vec<ActionDef>,
    events: Vec<EventDef>,
}

#[derive(Deserialize)]
struct ActionDef {
    name: String,
    module: String,
    synopsis: String,
    #[serde(default)]
    responses: Vec<String>,
    params: Vec<ParamDef>,
}

#[derive(Deserialize)]
struct ParamDef {
    name: String,
    required: bool,
    synopsis: String,
    #[serde(default, rename = "enum")]
    values: Option<Vec<String>>,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    multiple: bool,
    #[serde(default)]
    templated: bool,
}

#[derive(Deserialize)]
struct EventDef {
    name: String,
    #[serde(default)]
    doc_name: Option<String>,
    class: Vec<String>,
    module: String,
    synopsis: String,
    fields: Vec<FieldDef>,
}

#[derive(Deserialize)]
struct FieldDef {
    name: String,
    synopsis: String,
    #[serde(default, rename = "enum")]
    values: Option<Vec<String>>,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    doc_name: Option<String>,
    #[serde(default)]
    multiple: bool,
    #[serde(default)]
    templated: bool,
}

// ---- names -------------------------------------------------------------------

/// Rust keywords (strict, reserved and the 2024 edition's `gen`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Splits a wire name into words: at every character that is not an ASCII
/// letter or digit, after a lower-case letter or a digit followed by a
/// capital, and before the last capital of a run followed by a lower-case
/// letter (`CallerIDNum` → `Caller`, `ID`, `Num`).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|c| !c.is_empty())
    {
        let chars: Vec<char> = chunk.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if i > 0 && c.is_ascii_uppercase() {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
                if prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower)
                {
                    out.push(std::mem::take(&mut word));
                }
            }
            word.push(c);
        }
        out.push(word);
    }
    out
}

/// A method name: snake case, keywords as raw identifiers (`r#type`), a
/// leading digit behind an underscore (`_100rel`).
fn method_ident(name: &str) -> String {
    let snake = words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    assert!(!snake.is_empty(), "no identifier in {name:?}");
    if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else if ["self", "super", "crate"].contains(&snake.as_str()) {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    }
}

/// A type or variant name: the wire name itself when it is one and not all
/// capitals (`PJSIPShowEndpoint`, `DBGet`), else its words capitalised
/// (`AOC-D` → `AocD`, `AGI` → `Agi`, `on` → `On`, `MD5` → `Md5`).
fn type_ident(name: &str) -> String {
    let letters = name.chars().filter(char::is_ascii_alphabetic).count();
    let all_caps = letters > 1 && !name.chars().any(|c| c.is_ascii_lowercase());
    let plain = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    let ident = if plain && !all_caps {
        name.to_owned()
    } else {
        words(name)
            .iter()
            .map(|w| {
                let lower = w.chars().filter(char::is_ascii_alphabetic).count() > 1
                    && !w.chars().any(|c| c.is_ascii_lowercase());
                let mut chars = w.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase());
                let rest: String = if lower {
                    chars.as_str().to_ascii_lowercase()
                } else {
                    chars.as_str().to_owned()
                };
                first.into_iter().chain(rest.chars()).collect::<String>()
            })
            .collect()
    };
    assert!(!ident.is_empty(), "no identifier in {name:?}");
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{ident}")
    } else {
        ident
    }
}

/// Whether an enum value of the docs is a literal value (`on`, `MD5`) rather
/// than a description of a form (`system,call,log,...`, `<match_method>`).
fn is_literal(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A numbered header pattern of the docs, as a Rust `format!` string for
/// index `n`, and the name the identifiers come from.
fn template(name: &str) -> (String, String) {
    if let Some(base) = name.strip_suffix("-000000") {
        (format!("{base}-{{n:06}}"), base.to_owned())
    } else if let Some(base) = name.strip_suffix("(0)") {
        (format!("{base}({{n}})"), base.to_owned())
    } else if let Some(rest) = name.strip_prefix("ReportX") {
        (format!("Report{{n}}{rest}"), format!("Report{rest}"))
    } else {
        panic!("unknown template {name:?}: teach `template` its numbering")
    }
}

/// The template's names for the docs: `Action-NNNNNN` and `Action-000000`,
/// `Action-000001`.
fn template_names(format: &str) -> (String, String, String) {
    let shown = format.replace("{n:06}", "NNNNNN").replace("{n}", "N");
    let zero = format.replace("{n:06}", "000000").replace("{n}", "0");
    let one = format.replace("{n:06}", "000001").replace("{n}", "1");
    (shown, zero, one)
}

/// Escapes text for a doc comment: Markdown's special characters become
/// literal, so no synopsis turns into a link, an HTML tag or emphasis.
fn doc_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&'
        ) {
            out.push('\\');
        }
        if c == '\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// A sentence from a synopsis: escaped, ending with a full stop.
fn sentence(text: &str) -> String {
    let mut s = doc_text(text);
    if !s.is_empty() && !s.ends_with(['.', '?', '!', ':']) {
        s.push('.');
    }
    s
}

/// A list of values as code spans: `` `on`, `off` `` (backticks inside a value
/// would need a longer fence; the schema has none).
fn code_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| {
            assert!(!v.contains('`'), "backtick in value {v:?}");
            format!("`{v}`")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Asserts that `names` holds no name twice.
fn assert_unique<'a>(what: &str, names: impl IntoIterator<Item = &'a str>) {
    let mut seen = BTreeSet::new();
    for name in names {
        assert!(seen.insert(name), "{what}: {name} twice");
    }
}

// ---- the model ---------------------------------------------------------------

/// How a parameter or a field occurs on the wire.
#[derive(Clone, PartialEq, Eq)]
enum Shape {
    /// Once.
    Single,
    /// Any number of times (`Variable`, `FileName`).
    Repeated,
    /// Numbered: the `format!` string of the header for index `n`.
    Templated(String),
}

struct ValueEnum {
    ident: String,
    /// (variant, wire value) of the literal values, in the docs' order.
    variants: Vec<(String, String)>,
    /// The documented forms that are not literal values.
    forms: Vec<String>,
}

struct Param {
    wire: String,
    method: String,
    required: bool,
    synopsis: String,
    default: Option<String>,
    shape: Shape,
    value_enum: Option<ValueEnum>,
    /// Documented values that gave no enum (all of them descriptions).
    forms: Vec<String>,
}

struct ActionModel {
    wire: String,
    ident: String,
    module: String,
    synopsis: String,
    responses: Vec<String>,
    /// Every parameter but `ActionID` and the free-form ones, in the docs' order.
    params: Vec<Param>,
    freeform: Vec<String>,
}

struct Field {
    wire: String,
    method: String,
    synopsis: String,
    values: Vec<String>,
    required: Option<bool>,
    doc_name: Option<String>,
    shape: Shape,
    /// What the typed accessor parses, `None` for a raw one.
    typed: Option<Typed>,
}

/// How a typed field parses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Typed {
    /// A type of the table (or a boolean pair of the docs).
    Scalar(Ty),
    /// The enum `Model::value_enums[i]`.
    Enum(usize),
}

/// An enum of event header values (`typed::values`).
struct FieldEnum {
    ident: String,
    /// The listed values, in the docs' order.
    values: Vec<String>,
    /// (variant, wire value).
    variants: Vec<(String, String)>,
    /// `Event.Header` of every field that uses it.
    used_by: Vec<String>,
}

struct EventModel {
    wire: String,
    ident: String,
    doc_name: Option<String>,
    class: Vec<String>,
    module: String,
    synopsis: String,
    fields: Vec<Field>,
}

struct Model {
    version: String,
    actions: Vec<ActionModel>,
    events: Vec<EventModel>,
    value_enums: Vec<FieldEnum>,
}

impl Model {
    fn new(schema: Schema) -> Self {
        let actions: Vec<ActionModel> = schema.actions.into_iter().map(action_model).collect();
        let events: Vec<EventModel> = schema.events.into_iter().map(event_model).collect();

        // One namespace per module: action structs and value enums share
        // `actions`, event views and `Event` share `events`.
        let mut action_types: Vec<&str> = actions.iter().map(|a| a.ident.as_str()).collect();
        for a in &actions {
            action_types.extend(
                a.params
                    .iter()
                    .filter_map(|p| p.value_enum.as_ref().map(|e| e.ident.as_str())),
            );
        }
        assert_unique("action types", action_types);
        assert_unique(
            "action names (ASCII case ignored)",
            actions
                .iter()
                .map(|a| a.wire.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        let mut event_types: Vec<&str> = events.iter().map(|e| e.ident.as_str()).collect();
        event_types.push("Event");
        assert_unique("event types", event_types);
        let lower: Vec<String> = events.iter().map(|e| e.wire.to_ascii_lowercase()).collect();
        assert_unique(
            "event names (ASCII case ignored)",
            lower.iter().map(String::as_str),
        );
        assert!(
            !events.iter().any(|e| e.ident == "Unknown"),
            "an event named Unknown"
        );
        let mut events = events;
        let value_enums = type_fields(&mut events);
        Self {
            version: schema.asterisk_version,
            actions,
            events,
            value_enums,
        }
    }

    fn enum_count(&self) -> usize {
        self.actions
            .iter()
            .flat_map(|a| &a.params)
            .filter(|p| p.value_enum.is_some())
            .count()
    }
}

fn action_model(def: ActionDef) -> ActionModel {
    let ident = type_ident(&def.name);
    let mut params = Vec::new();
    let mut freeform = Vec::new();
    for p in def.params {
        if p.name.eq_ignore_ascii_case("ActionID") {
            continue; // the connection assigns it
        }
        if FREEFORM_PARAMS.contains(&(def.name.as_str(), p.name.as_str())) {
            freeform.push(p.name);
            continue;
        }
        let repeated = p.multiple
            || REPEATED_PARAMS.contains(&(def.name.as_str(), p.name.as_str()))
            || p.synopsis
                .to_ascii_lowercase()
                .contains("multiple variable: headers are allowed");
        let (shape, base) = if p.templated {
            let (format, base) = template(&p.name);
            (Shape::Templated(format), base)
        } else if repeated {
            (Shape::Repeated, p.name.clone())
        } else {
            (Shape::Single, p.name.clone())
        };
        assert!(
            !(p.required && shape != Shape::Single),
            "{}: required {} is repeated or templated",
            def.name,
            p.name
        );
        let values = p.values.unwrap_or_default();
        let (literal, forms): (Vec<String>, Vec<String>) =
            values.into_iter().partition(|v| is_literal(v));
        let value_enum = (!literal.is_empty()).then(|| {
            let variants: Vec<(String, String)> =
                literal.iter().map(|v| (type_ident(v), v.clone())).collect();
            let mut names: Vec<&str> = variants.iter().map(|(i, _)| i.as_str()).collect();
            names.push("Other");
            assert_unique(&format!("{} {} variants", def.name, p.name), names);
            ValueEnum {
                ident: format!("{ident}{}", type_ident(&base)),
                variants,
                forms: forms.clone(),
            }
        });
        let forms = if value_enum.is_some() {
            Vec::new()
        } else {
            forms
        };
        params.push(Param {
            method: method_ident(&base),
            wire: p.name,
            required: p.required,
            synopsis: p.synopsis,
            default: p.default,
            shape,
            value_enum,
            forms,
        });
    }
    let mut methods: Vec<&str> = params.iter().map(|p| p.method.as_str()).collect();
    methods.extend(BUILDER_METHODS);
    assert_unique(&format!("{} methods", def.name), methods);
    let args: Vec<&str> = params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.method.as_str())
        .collect();
    assert!(
        !args.contains(&"inner"),
        "{}: a parameter named inner",
        def.name
    );
    ActionModel {
        wire: def.name,
        ident,
        module: def.module,
        synopsis: def.synopsis,
        responses: def.responses,
        params,
        freeform,
    }
}

/// The raw accessor beside a typed one: `cause` → `cause_raw`.
fn raw_method(method: &str) -> String {
    format!("{}_raw", method.trim_start_matches("r#"))
}

/// Decides every event field's type: the docs' enumerations (boolean pairs
/// as `bool`, other lists as shared enums), then [`types::FIELD_TYPES`].
/// Panics on a table row that matches no documented field.
fn type_fields(events: &mut [EventModel]) -> Vec<FieldEnum> {
    // One enum per distinct list of literal values.
    let mut enums: Vec<FieldEnum> = Vec::new();
    let mut field_names: Vec<Vec<String>> = Vec::new();
    for e in events.iter_mut() {
        for f in &mut e.fields {
            if f.shape != Shape::Single
                || f.values.is_empty()
                || f.wire.eq_ignore_ascii_case("Event")
            {
                continue;
            }
            if types::is_bool_pair(&f.values) {
                f.typed = Some(Typed::Scalar(Ty::Bool));
                continue;
            }
            let index = match enums.iter().position(|x| x.values == f.values) {
                Some(i) => i,
                None => {
                    enums.push(FieldEnum {
                        ident: String::new(),
                        values: f.values.clone(),
                        variants: Vec::new(),
                        used_by: Vec::new(),
                    });
                    field_names.push(Vec::new());
                    enums.len() - 1
                }
            };
            enums[index].used_by.push(format!("{}.{}", e.wire, f.wire));
            if !field_names[index].contains(&f.wire) {
                field_names[index].push(f.wire.clone());
            }
            f.typed = Some(Typed::Enum(index));
        }
    }
    // Names: the curated one, else the field's (the shortest of several
    // fields sharing a list), which must then be used by that list alone.
    for (i, x) in enums.iter_mut().enumerate() {
        let curated = types::ENUM_NAMES
            .iter()
            .find(|(event, field, _)| x.used_by.iter().any(|u| *u == format!("{event}.{field}")));
        x.ident = match curated {
            Some((_, _, name)) => (*name).to_owned(),
            None => {
                let mut names = field_names[i].clone();
                names.sort_by_key(|n| (n.len(), n.clone()));
                type_ident(&names[0])
            }
        };
        let named = types::VALUE_NAMES.iter().find(|(values, _)| {
            values
                .iter()
                .copied()
                .eq(x.values.iter().map(String::as_str))
        });
        x.variants = match named {
            Some((_, names)) => x
                .values
                .iter()
                .map(|v| {
                    let (_, variant) = names
                        .iter()
                        .find(|(value, _)| value == v)
                        .unwrap_or_else(|| panic!("no variant name for {v:?} of {}", x.ident));
                    ((*variant).to_owned(), v.clone())
                })
                .collect(),
            None => {
                for v in &x.values {
                    assert!(
                        is_literal(&v.replace([' ', '.', '&'], ""))
                            && !v.starts_with(|c: char| c.is_ascii_digit() || c == '-'),
                        "{} ({:?}): value {v:?} needs a name in types::VALUE_NAMES",
                        x.ident,
                        x.used_by
                    );
                }
                x.values
                    .iter()
                    .map(|v| (type_ident(v), v.clone()))
                    .collect()
            }
        };
        let mut variant_names: Vec<&str> = x.variants.iter().map(|(v, _)| v.as_str()).collect();
        variant_names.push("Other");
        assert_unique(&format!("{} variants", x.ident), variant_names);
    }
    assert_unique("value enums", enums.iter().map(|x| x.ident.as_str()));
    // The table, where the docs gave no list.
    let mut used = vec![false; types::FIELD_TYPES.len()];
    for e in events.iter_mut() {
        for f in &mut e.fields {
            if f.shape != Shape::Single || f.typed.is_some() || f.wire.eq_ignore_ascii_case("Event")
            {
                continue;
            }
            if let Some(row) = types::FIELD_TYPES.iter().position(|&(ev, field, _)| {
                (ev == "*" || ev == e.wire)
                    && match field.strip_prefix('*') {
                        Some(suffix) => f.wire.ends_with(suffix),
                        None => field == f.wire,
                    }
            }) {
                used[row] = true;
                f.typed = Some(Typed::Scalar(types::FIELD_TYPES[row].2));
            }
        }
    }
    for (row, used) in types::FIELD_TYPES.iter().zip(used) {
        assert!(
            used,
            "types::FIELD_TYPES row {row:?} matches no documented field"
        );
    }
    for (event, field, _) in types::ENUM_NAMES {
        assert!(
            enums
                .iter()
                .any(|x| x.used_by.iter().any(|u| *u == format!("{event}.{field}"))),
            "types::ENUM_NAMES row {event}.{field} matches no enumerated field"
        );
    }
    enums
}

fn event_model(def: EventDef) -> EventModel {
    let fields: Vec<Field> = def
        .fields
        .into_iter()
        .map(|f| {
            let (shape, base) = if f.templated {
                let (format, base) = template(&f.name);
                (Shape::Templated(format), base)
            } else if f.multiple {
                (Shape::Repeated, f.name.clone())
            } else {
                (Shape::Single, f.name.clone())
            };
            Field {
                method: method_ident(&base),
                wire: f.name,
                synopsis: f.synopsis,
                values: f.values.unwrap_or_default(),
                required: f.required,
                doc_name: f.doc_name,
                shape,
                typed: None,
            }
        })
        .collect();
    let raw_methods: Vec<String> = fields.iter().map(|f| raw_method(&f.method)).collect();
    let mut methods: Vec<&str> = fields.iter().map(|f| f.method.as_str()).collect();
    methods.extend(raw_methods.iter().map(String::as_str));
    methods.extend(VIEW_METHODS);
    assert_unique(&format!("{} accessors", def.name), methods);
    assert_unique(
        &format!("{} fields (ASCII case ignored)", def.name),
        fields
            .iter()
            .map(|f| f.wire.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    EventModel {
        ident: type_ident(&def.name),
        wire: def.name,
        doc_name: def.doc_name,
        class: def.class,
        module: def.module,
        synopsis: def.synopsis,
        fields,
    }
}

// ---- output ------------------------------------------------------------------

/// Appends one formatted line.
macro_rules! emit {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        writeln!($out, $($arg)*).expect("writing to a String cannot fail")
    }};
}

fn header(out: &mut String, version: &str) {
    emit!(
        out,
        "// @generated by ami-codegen from {SCHEMA} (Asterisk {version})."
    );
    emit!(
        out,
        "// Do not edit: change the schema or the generator, then run"
    );
    emit!(out, "// `cargo run -p ami-codegen`.");
    emit!(out);
}

/// Doc lines, one `///` per line of `text` (empty lines kept).
fn doc(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            emit!(out, "{indent}///");
        } else {
            emit!(out, "{indent}/// {line}");
        }
    }
}

fn gen_actions(model: &Model) -> String {
    let mut out = String::new();
    header(&mut out, &model.version);
    emit!(
        out,
        "//! Builders for the {} AMI actions of Asterisk {}.",
        model.actions.len(),
        model.version
    );
    emit!(out, "//!");
    emit!(
        out,
        "//! One struct per action: required parameters are the arguments of `new`,"
    );
    emit!(
        out,
        "//! optional ones are methods; parameters whose docs list values take an"
    );
    emit!(
        out,
        "//! enum with an `Other` escape hatch. See the [module docs](super)."
    );
    emit!(out);
    emit!(out, "use std::fmt;");
    emit!(out);
    emit!(out, "use crate::Action;");
    for a in &model.actions {
        emit!(out);
        gen_action(&mut out, a, model);
    }
    out
}

fn response_links(a: &ActionModel, model: &Model) -> String {
    a.responses
        .iter()
        .map(|r| match model.events.iter().find(|e| &e.wire == r) {
            Some(e) => format!("[`{r}`](super::events::{})", e.ident),
            None => format!("`{r}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn arg_type(p: &Param) -> String {
    match &p.value_enum {
        Some(e) => e.ident.clone(),
        None => "impl AsRef<[u8]>".to_owned(),
    }
}

/// The expression giving the wire bytes of argument `arg` of parameter `p`.
fn arg_bytes(p: &Param, arg: &str) -> String {
    match &p.value_enum {
        Some(_) => format!("{arg}.as_str().as_bytes()"),
        None => format!("{arg}.as_ref()"),
    }
}

fn param_notes(p: &Param) -> String {
    let mut notes = String::new();
    if let Some(default) = &p.default {
        let _ = write!(notes, "\n\nAsterisk's default: `{default}`.");
    }
    if let Some(e) = &p.value_enum {
        let _ = write!(
            notes,
            "\n\nThe docs list {}.",
            code_list(
                &e.variants
                    .iter()
                    .map(|(_, v)| v.clone())
                    .collect::<Vec<_>>()
            )
        );
        if !e.forms.is_empty() {
            let _ = write!(
                notes,
                " They also describe {} (use `{}::Other`).",
                code_list(&e.forms),
                e.ident
            );
        }
    }
    if !p.forms.is_empty() {
        let _ = write!(
            notes,
            "\n\nThe docs describe the value as {}.",
            code_list(&p.forms)
        );
    }
    notes
}

fn gen_action(out: &mut String, a: &ActionModel, model: &Model) {
    let id = &a.ident;
    // Value enums first.
    for p in &a.params {
        if let Some(e) = &p.value_enum {
            gen_value_enum(out, a, p, e);
            emit!(out);
        }
    }

    let required: Vec<&Param> = a.params.iter().filter(|p| p.required).collect();
    let mut text = sentence(&a.synopsis);
    if text.is_empty() {
        text = format!("The `{}` action.", a.wire);
    }
    let _ = write!(text, "\n\nAction `{}`, from `{}`.", a.wire, a.module);
    if !a.responses.is_empty() {
        let _ = write!(
            text,
            " Its answer comes with the events {}.",
            response_links(a, model)
        );
    }
    if !a.freeform.is_empty() {
        let _ = write!(
            text,
            "\n\nThe docs' {} stand for headers of your choosing: add them with [`header`](Self::header).",
            code_list(&a.freeform)
        );
    }
    doc(out, "", &text);
    emit!(out, "#[derive(Debug, Clone, PartialEq, Eq)]");
    emit!(
        out,
        "#[must_use = \"an action does nothing until it is sent\"]"
    );
    emit!(out, "pub struct {id} {{");
    emit!(out, "    inner: Action,");
    emit!(out, "}}");
    emit!(out);
    emit!(out, "impl {id} {{");
    emit!(out, "    /// The action's name on the wire.");
    emit!(out, "    pub const NAME: &'static str = {:?};", a.wire);
    emit!(out);
    // new
    if required.is_empty() {
        doc(
            out,
            "    ",
            &format!("The `{}` action (it has no required parameters).", a.wire),
        );
    } else {
        let mut text = format!("The `{}` action, from its required parameters:\n", a.wire);
        for p in &required {
            let _ = write!(
                text,
                "\n* `{}`: `{}`",
                p.method.trim_start_matches("r#"),
                p.wire
            );
            let s = sentence(&p.synopsis);
            if !s.is_empty() {
                let _ = write!(text, ", {s}");
            }
        }
        doc(out, "    ", &text);
    }
    if required.len() > 7 {
        emit!(out, "    #[allow(clippy::too_many_arguments)]");
    }
    let args: Vec<String> = required
        .iter()
        .map(|p| format!("{}: {}", p.method, arg_type(p)))
        .collect();
    emit!(out, "    pub fn new({}) -> Self {{", args.join(", "));
    if required.is_empty() {
        emit!(out, "        Self {{ inner: Action::new(Self::NAME) }}");
    } else {
        emit!(out, "        let mut inner = Action::new(Self::NAME);");
        for p in &required {
            emit!(
                out,
                "        inner.push_header({:?}, {});",
                p.wire,
                arg_bytes(p, &p.method)
            );
        }
        emit!(out, "        Self {{ inner }}");
    }
    emit!(out, "    }}");
    // optional parameters
    for p in a.params.iter().filter(|p| !p.required) {
        emit!(out);
        let s = sentence(&p.synopsis);
        let s = if s.is_empty() {
            ".".to_owned()
        } else {
            format!(": {s}")
        };
        let notes = param_notes(p);
        let m = &p.method;
        let ty = arg_type(p);
        let value = arg_bytes(p, "value");
        match &p.shape {
            Shape::Single => {
                doc(out, "    ", &format!("Sets `{}`{s}{notes}", p.wire));
                emit!(out, "    pub fn {m}(self, value: {ty}) -> Self {{");
                emit!(
                    out,
                    "        Self {{ inner: super::set_header(self.inner, {:?}, {value}) }}",
                    p.wire
                );
                emit!(out, "    }}");
            }
            Shape::Repeated => {
                doc(
                    out,
                    "    ",
                    &format!(
                        "Adds a `{}` header{s}{notes}\n\nEach call adds one more{}.",
                        p.wire,
                        if p.wire == "Variable" {
                            ", as `name=value`"
                        } else {
                            ""
                        }
                    ),
                );
                emit!(out, "    pub fn {m}(mut self, value: {ty}) -> Self {{");
                emit!(
                    out,
                    "        self.inner.push_header({:?}, {value});",
                    p.wire
                );
                emit!(out, "        self");
                emit!(out, "    }}");
            }
            Shape::Templated(format) => {
                let (shown, zero, one) = template_names(format);
                doc(
                    out,
                    "    ",
                    &format!("Sets `{shown}` for entry `n` (`{zero}`, `{one}`, …){s}{notes}"),
                );
                emit!(out, "    pub fn {m}(self, n: u32, value: {ty}) -> Self {{");
                emit!(
                    out,
                    "        Self {{ inner: super::set_header(self.inner, &format!({format:?}), {value}) }}"
                );
                emit!(out, "    }}");
            }
        }
    }
    emit!(out, "}}");
    emit!(out);
    emit!(out, "super::action_common!({id});");
    if required.is_empty() {
        emit!(out);
        emit!(out, "impl Default for {id} {{");
        emit!(out, "    fn default() -> Self {{");
        emit!(out, "        Self::new()");
        emit!(out, "    }}");
        emit!(out, "}}");
    }
}

fn gen_value_enum(out: &mut String, a: &ActionModel, p: &Param, e: &ValueEnum) {
    let id = &e.ident;
    let s = sentence(&p.synopsis);
    let mut text = format!("Values of the `{}` parameter of [`{}`].", p.wire, a.ident);
    if !s.is_empty() {
        let _ = write!(text, "\n\n{s}");
    }
    doc(out, "", &text);
    emit!(out, "#[derive(Debug, Clone, PartialEq, Eq, Hash)]");
    emit!(out, "#[non_exhaustive]");
    emit!(out, "pub enum {id} {{");
    for (variant, value) in &e.variants {
        emit!(out, "    /// `{value}`");
        emit!(out, "    {variant},");
    }
    if e.forms.is_empty() {
        emit!(out, "    /// A value the docs do not list, sent as is.");
    } else {
        emit!(
            out,
            "    /// Any other value, sent as is; the docs also describe {}.",
            code_list(&e.forms)
        );
    }
    emit!(out, "    Other(String),");
    emit!(out, "}}");
    emit!(out);
    emit!(out, "impl {id} {{");
    emit!(out, "    /// The value as sent.");
    emit!(out, "    #[must_use]");
    emit!(out, "    pub fn as_str(&self) -> &str {{");
    emit!(out, "        match self {{");
    for (variant, value) in &e.variants {
        emit!(out, "            Self::{variant} => {value:?},");
    }
    emit!(out, "            Self::Other(value) => value,");
    emit!(out, "        }}");
    emit!(out, "    }}");
    emit!(out, "}}");
    emit!(out);
    emit!(out, "impl From<&str> for {id} {{");
    emit!(
        out,
        "    /// The variant of a listed value (exact match), else `Other`."
    );
    emit!(out, "    fn from(value: &str) -> Self {{");
    emit!(out, "        match value {{");
    for (variant, value) in &e.variants {
        emit!(out, "            {value:?} => Self::{variant},");
    }
    emit!(out, "            _ => Self::Other(value.to_owned()),");
    emit!(out, "        }}");
    emit!(out, "    }}");
    emit!(out, "}}");
    emit!(out);
    emit!(out, "impl fmt::Display for {id} {{");
    emit!(
        out,
        "    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{"
    );
    emit!(out, "        f.write_str(self.as_str())");
    emit!(out, "    }}");
    emit!(out, "}}");
}

fn gen_events(model: &Model) -> String {
    let mut out = String::new();
    header(&mut out, &model.version);
    emit!(
        out,
        "//! Views of the {} AMI events of Asterisk {}, and [`Event`].",
        model.events.len(),
        model.version
    );
    emit!(out, "//!");
    emit!(
        out,
        "//! Each view borrows the decoded [`Message`]: accessors read its headers,"
    );
    emit!(
        out,
        "//! nothing is copied, and [`raw`](Hangup::raw) reaches every header,"
    );
    emit!(out, "//! documented or not. See the [module docs](super).");
    emit!(out);
    emit!(out, "use std::time::Duration;");
    emit!(out);
    emit!(
        out,
        "use super::field::{{self, EventTime, FieldError, HangupCause, Kind, Timestamp}};"
    );
    emit!(out, "use super::values;");
    emit!(out, "use crate::{{Message, MessageKind, Value}};");
    let longest = model.events.iter().map(|e| e.wire.len()).max().unwrap_or(0);

    // The enum.
    emit!(out);
    doc(
        &mut out,
        "",
        "An AMI event, typed by its name, or [`Event::Unknown`].\n\n\
         [`Event::from_message`] dispatches on the `Event` header, ASCII case ignored.\n\
         New Asterisk versions add events, so the enum is non-exhaustive: a\n\
         `match` needs a `_` arm.",
    );
    emit!(out, "#[derive(Debug, Clone, Copy, PartialEq, Eq)]");
    emit!(out, "#[non_exhaustive]");
    emit!(out, "pub enum Event<'a> {{");
    for e in &model.events {
        let mut s = sentence(&e.synopsis);
        if s.is_empty() {
            s = format!("The `{}` event.", e.wire);
        }
        emit!(out, "    /// {s}");
        emit!(out, "    {0}({0}<'a>),", e.ident);
    }
    emit!(
        out,
        "    /// A message that is no event of the schema: an event it does not"
    );
    emit!(
        out,
        "    /// document (`QueueMember`, `DBGetResponse`, custom ones), or a message"
    );
    emit!(
        out,
        "    /// whose first header is not `Event` (a response)."
    );
    emit!(out, "    Unknown(&'a Message),");
    emit!(out, "}}");
    emit!(out);
    emit!(out, "/// The longest event name of the schema, in bytes.");
    emit!(out, "const LONGEST_NAME: usize = {longest};");
    emit!(out);
    emit!(out, "impl<'a> Event<'a> {{");
    doc(
        &mut out,
        "    ",
        "Types `msg` by its event name (ASCII case ignored): the view of the\n\
         documented event of that name, else [`Event::Unknown`] (also for a\n\
         message whose first header is not `Event`).",
    );
    emit!(out, "    #[must_use]");
    emit!(out, "    pub fn from_message(msg: &'a Message) -> Self {{");
    emit!(out, "        if msg.kind() != MessageKind::Event {{");
    emit!(out, "            return Self::Unknown(msg);");
    emit!(out, "        }}");
    emit!(out, "        let Some(name) = msg.name() else {{");
    emit!(out, "            return Self::Unknown(msg);");
    emit!(out, "        }};");
    emit!(out, "        let name = name.as_bytes();");
    emit!(out, "        let mut buf = [0u8; LONGEST_NAME];");
    emit!(
        out,
        "        let Some(lower) = buf.get_mut(..name.len()) else {{"
    );
    emit!(out, "            return Self::Unknown(msg);");
    emit!(out, "        }};");
    emit!(out, "        lower.copy_from_slice(name);");
    emit!(out, "        lower.make_ascii_lowercase();");
    emit!(out, "        match &*lower {{");
    for e in &model.events {
        let lower = e.wire.to_ascii_lowercase();
        emit!(
            out,
            "            b{lower:?} => Self::{0}({0}(msg)),",
            e.ident
        );
    }
    emit!(out, "            _ => Self::Unknown(msg),");
    emit!(out, "        }}");
    emit!(out, "    }}");
    emit!(out);
    emit!(
        out,
        "    /// The documented name of the event (its wire spelling), `None` for"
    );
    emit!(out, "    /// [`Event::Unknown`].");
    emit!(out, "    #[must_use]");
    emit!(out, "    pub fn name(&self) -> Option<&'static str> {{");
    emit!(out, "        match self {{");
    for e in &model.events {
        emit!(out, "            Self::{0}(_) => Some({0}::NAME),", e.ident);
    }
    emit!(out, "            Self::Unknown(_) => None,");
    emit!(out, "        }}");
    emit!(out, "    }}");
    emit!(out);
    emit!(
        out,
        "    /// The documented headers of the event (its view's `FIELDS`), empty for"
    );
    emit!(out, "    /// [`Event::Unknown`].");
    emit!(out, "    #[must_use]");
    emit!(
        out,
        "    pub fn fields(&self) -> &'static [&'static str] {{"
    );
    emit!(out, "        match self {{");
    for e in &model.events {
        emit!(out, "            Self::{0}(_) => {0}::FIELDS,", e.ident);
    }
    emit!(out, "            Self::Unknown(_) => &[],");
    emit!(out, "        }}");
    emit!(out, "    }}");
    emit!(out);
    emit!(
        out,
        "    /// How the typed headers of the event parse, empty for [`Event::Unknown`]."
    );
    emit!(
        out,
        "    pub(crate) fn kinds(&self) -> &'static [(&'static str, Kind)] {{"
    );
    emit!(out, "        match self {{");
    for e in &model.events {
        emit!(out, "            Self::{0}(_) => {0}::KINDS,", e.ident);
    }
    emit!(out, "            Self::Unknown(_) => &[],");
    emit!(out, "        }}");
    emit!(out, "    }}");
    emit!(out);
    emit!(out, "    /// The raw message, every header reachable.");
    emit!(out, "    #[must_use]");
    emit!(out, "    pub fn raw(&self) -> &'a Message {{");
    emit!(out, "        match self {{");
    for e in &model.events {
        emit!(out, "            Self::{}(e) => e.raw(),", e.ident);
    }
    emit!(out, "            Self::Unknown(msg) => msg,");
    emit!(out, "        }}");
    emit!(out, "    }}");
    emit!(out, "}}");

    for e in &model.events {
        emit!(out);
        gen_event(&mut out, e, &model.value_enums);
    }
    out
}

/// The `Kind` expression of a typed field.
fn kind_expr(t: Typed, enums: &[FieldEnum]) -> String {
    match t {
        Typed::Scalar(ty) => ty.kind().to_owned(),
        Typed::Enum(i) => format!(
            "Kind::Enum(values::{0}::VALUES, values::{0}::NAMES)",
            enums[i].ident
        ),
    }
}

fn gen_event(out: &mut String, e: &EventModel, enums: &[FieldEnum]) {
    let id = &e.ident;
    let mut text = sentence(&e.synopsis);
    if text.is_empty() {
        text = format!("The `{}` event.", e.wire);
    }
    let class = e
        .class
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        text,
        "\n\nEvent `{}`, class {class}, from `{}`.",
        e.wire, e.module
    );
    if let Some(doc_name) = &e.doc_name {
        let _ = write!(
            text,
            " The docs call it `{doc_name}`; Asterisk sends `{}` (both match, case is ignored).",
            e.wire
        );
    }
    doc(out, "", &text);
    emit!(out, "#[derive(Debug, Clone, Copy, PartialEq, Eq)]");
    emit!(out, "pub struct {id}<'a>(&'a Message);");
    emit!(out);
    emit!(out, "impl<'a> {id}<'a> {{");
    emit!(out, "    /// The event's name on the wire.");
    emit!(out, "    pub const NAME: &'static str = {:?};", e.wire);
    emit!(out);
    emit!(
        out,
        "    /// The documented headers, in the docs' order (numbered ones as their"
    );
    emit!(out, "    /// pattern).");
    let names: Vec<String> = e.fields.iter().map(|f| format!("{:?}", f.wire)).collect();
    emit!(
        out,
        "    pub const FIELDS: &'static [&'static str] = &[{}];",
        names.join(", ")
    );
    emit!(out);
    emit!(
        out,
        "    /// How the typed headers parse, for [`typed_fields`](Self::typed_fields)."
    );
    let kinds: Vec<String> = e
        .fields
        .iter()
        .filter_map(|f| {
            f.typed
                .map(|t| format!("({:?}, {})", f.wire, kind_expr(t, enums)))
        })
        .collect();
    emit!(
        out,
        "    pub(crate) const KINDS: &'static [(&'static str, Kind)] = &[{}];",
        kinds.join(", ")
    );
    for f in &e.fields {
        emit!(out);
        gen_field(out, f, enums);
    }
    emit!(out, "}}");
    emit!(out);
    emit!(out, "super::event_common!({id});");
}

fn gen_field(out: &mut String, f: &Field, enums: &[FieldEnum]) {
    let s = sentence(&f.synopsis);
    let mut notes = String::new();
    if !f.values.is_empty() {
        let _ = write!(notes, "\n\nThe docs list {}.", code_list(&f.values));
    }
    if f.required == Some(false) {
        notes.push_str("\n\nNot always sent.");
    }
    if let Some(doc_name) = &f.doc_name {
        let _ = write!(
            notes,
            "\n\nThe docs call it `{doc_name}`; Asterisk sends `{}` (both match, case is ignored).",
            f.wire
        );
    }
    let m = &f.method;
    match &f.shape {
        Shape::Single if f.wire.eq_ignore_ascii_case("Event") => {
            // The first `Event` header names the event; this field is the
            // second one (`ResourceListDetail`'s event package).
            let head = if s.is_empty() {
                String::new()
            } else {
                format!(": {s}")
            };
            doc(
                out,
                "    ",
                &format!(
                    "The second `{}` header (the first names the event){head}{notes}",
                    f.wire
                ),
            );
            emit!(out, "    #[must_use]");
            emit!(out, "    #[inline]");
            emit!(out, "    pub fn {m}(&self) -> Option<Value<'a>> {{");
            emit!(out, "        self.0.get_all({:?}).nth(1)", f.wire);
            emit!(out, "    }}");
        }
        Shape::Single if f.typed.is_some() => {
            let typed = f.typed.expect("checked");
            let (ty, what) = match typed {
                Typed::Scalar(ty) if ty.rust().starts_with(char::is_uppercase) => {
                    (ty.rust().to_owned(), format!("[`{}`]", ty.rust()))
                }
                Typed::Scalar(ty) => (ty.rust().to_owned(), format!("`{}`", ty.rust())),
                Typed::Enum(i) => (
                    format!("values::{}", enums[i].ident),
                    format!("[`values::{0}`]", enums[i].ident),
                ),
            };
            let head = if s.is_empty() {
                format!("The `{}` header, as {what}.", f.wire)
            } else {
                format!("`{}`: {s}\n\nParsed as {what}.", f.wire)
            };
            let raw = raw_method(m);
            doc(
                out,
                "    ",
                &format!(
                    "{head}{notes}\n\n`Ok(None)` when the header is absent; a [`FieldError`] \
                     (with the raw bytes) when it does not parse. [`{raw}`](Self::{raw}) \
                     gives the bytes as sent."
                ),
            );
            if m == "new" {
                emit!(out, "    #[allow(clippy::new_ret_no_self)]");
            }
            emit!(out, "    #[inline]");
            emit!(
                out,
                "    pub fn {m}(&self) -> Result<Option<{ty}>, FieldError> {{"
            );
            emit!(
                out,
                "        field::get(self.0, {:?}, {})",
                f.wire,
                kind_expr(typed, enums)
            );
            emit!(out, "    }}");
            emit!(out);
            // Rustdoc links cannot name raw identifiers (`r#type`).
            let typed_link = if m.starts_with("r#") {
                format!("`{m}`")
            } else {
                format!("[`{m}`](Self::{m})")
            };
            emit!(
                out,
                "    /// The `{}` header as sent, unparsed (see {typed_link}).",
                f.wire
            );
            emit!(out, "    #[must_use]");
            emit!(out, "    #[inline]");
            emit!(out, "    pub fn {raw}(&self) -> Option<Value<'a>> {{");
            emit!(out, "        self.0.get({:?})", f.wire);
            emit!(out, "    }}");
        }
        Shape::Single => {
            let head = if s.is_empty() {
                format!("The `{}` header.", f.wire)
            } else {
                format!("`{}`: {s}", f.wire)
            };
            doc(out, "    ", &format!("{head}{notes}"));
            emit!(out, "    #[must_use]");
            if m == "new" {
                // `MessageWaiting`'s count of new messages, next to `old`.
                emit!(out, "    #[allow(clippy::new_ret_no_self)]");
            }
            emit!(out, "    #[inline]");
            emit!(out, "    pub fn {m}(&self) -> Option<Value<'a>> {{");
            emit!(out, "        self.0.get({:?})", f.wire);
            emit!(out, "    }}");
        }
        Shape::Repeated => {
            let head = if s.is_empty() {
                String::new()
            } else {
                format!(": {s}")
            };
            doc(
                out,
                "    ",
                &format!("Every `{}` header, in wire order{head}{notes}", f.wire),
            );
            emit!(out, "    #[inline]");
            emit!(
                out,
                "    pub fn {m}(&self) -> impl Iterator<Item = Value<'a>> + use<'a> {{"
            );
            emit!(out, "        self.0.get_all({:?})", f.wire);
            emit!(out, "    }}");
        }
        Shape::Templated(format) => {
            let (shown, zero, one) = template_names(format);
            let head = if s.is_empty() {
                String::new()
            } else {
                format!(": {s}")
            };
            doc(
                out,
                "    ",
                &format!("`{shown}` for entry `n` (`{zero}`, `{one}`, …){head}{notes}"),
            );
            emit!(out, "    #[must_use]");
            emit!(out, "    #[inline]");
            emit!(out, "    pub fn {m}(&self, n: u32) -> Option<Value<'a>> {{");
            emit!(out, "        self.0.get(&format!({format:?}))");
            emit!(out, "    }}");
        }
    }
}

fn gen_values(model: &Model) -> String {
    let mut out = String::new();
    header(&mut out, &model.version);
    emit!(
        out,
        "//! The {} enumerations of event header values the docs list, shared by",
        model.value_enums.len()
    );
    emit!(
        out,
        "//! every event with the same list (`ChannelStateDesc`, `DestChannelStateDesc`, …)."
    );
    emit!(out, "//!");
    emit!(
        out,
        "//! A value is matched ASCII case ignored; one the docs do not list is"
    );
    emit!(
        out,
        "//! `Other`. Lists that are boolean pairs are `bool` accessors instead."
    );
    emit!(out, "//! See [`field`](super::field).");
    emit!(out);
    emit!(out, "use std::fmt;");
    emit!(out);
    emit!(out, "use super::field::{{FieldValue, FromField}};");
    for x in &model.value_enums {
        emit!(out);
        let mut users: Vec<String> = x.used_by.iter().map(|u| format!("`{u}`")).collect();
        if users.len() > 6 {
            let n = users.len() - 5;
            users.truncate(5);
            users.push(format!("and {n} more"));
        }
        doc(
            &mut out,
            "",
            &format!("The values of {} as the docs list them.", users.join(", ")),
        );
        emit!(out, "#[derive(Debug, Clone, PartialEq, Eq, Hash)]");
        emit!(out, "#[non_exhaustive]");
        emit!(out, "pub enum {} {{", x.ident);
        for (variant, value) in &x.variants {
            emit!(out, "    /// `{value}`");
            emit!(out, "    {variant},");
        }
        emit!(out, "    /// A value the docs do not list, as sent.");
        emit!(out, "    Other(String),");
        emit!(out, "}}");
        emit!(out);
        emit!(out, "impl {} {{", x.ident);
        emit!(out, "    /// The listed values, in the docs' order.");
        let values: Vec<String> = x.values.iter().map(|v| format!("{v:?}")).collect();
        emit!(
            out,
            "    pub const VALUES: &'static [&'static str] = &[{}];",
            values.join(", ")
        );
        emit!(out);
        emit!(
            out,
            "    /// The variants' names, in the order of [`VALUES`](Self::VALUES)."
        );
        let names: Vec<String> = x.variants.iter().map(|(v, _)| format!("{v:?}")).collect();
        emit!(
            out,
            "    pub const NAMES: &'static [&'static str] = &[{}];",
            names.join(", ")
        );
        emit!(out);
        emit!(
            out,
            "    /// The value in the docs' spelling (an `Other` as sent)."
        );
        emit!(out, "    #[must_use]");
        emit!(out, "    pub fn as_str(&self) -> &str {{");
        emit!(out, "        match self {{");
        for (variant, value) in &x.variants {
            emit!(out, "            Self::{variant} => {value:?},");
        }
        emit!(out, "            Self::Other(value) => value,");
        emit!(out, "        }}");
        emit!(out, "    }}");
        emit!(out);
        emit!(
            out,
            "    /// The variant of a listed value (ASCII case ignored), else `Other`."
        );
        emit!(out, "    #[must_use]");
        emit!(out, "    pub fn parse(value: &str) -> Self {{");
        for (variant, value) in &x.variants {
            emit!(
                out,
                "        if value.eq_ignore_ascii_case({value:?}) {{ return Self::{variant}; }}"
            );
        }
        emit!(out, "        Self::Other(value.to_owned())");
        emit!(out, "    }}");
        emit!(out, "}}");
        emit!(out);
        emit!(out, "impl fmt::Display for {} {{", x.ident);
        emit!(
            out,
            "    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{"
        );
        emit!(out, "        f.write_str(self.as_str())");
        emit!(out, "    }}");
        emit!(out, "}}");
        emit!(out);
        emit!(out, "impl FromField<'_> for {} {{", x.ident);
        emit!(
            out,
            "    fn from_field(value: FieldValue<'_>) -> Option<Self> {{"
        );
        emit!(out, "        match value {{");
        emit!(
            out,
            "            FieldValue::Enum {{ value, .. }} => Some(Self::parse(value)),"
        );
        emit!(
            out,
            "            FieldValue::Text(raw) => raw.as_str().ok().map(|t| Self::Other(t.to_owned())),"
        );
        emit!(out, "            _ => None,");
        emit!(out, "        }}");
        emit!(out, "    }}");
        emit!(out, "}}");
    }
    out
}

// ---- the test helper ---------------------------------------------------------

/// The placeholder value the full builder gives a parameter, as Rust code.
fn placeholder(p: &Param, suffix: &str) -> String {
    match &p.value_enum {
        Some(e) => format!("actions::{}::{}", e.ident, e.variants[0].0),
        None => format!("{:?}", format!("v-{}{suffix}", p.wire)),
    }
}

fn gen_tests(model: &Model) -> String {
    let mut out = String::new();
    header(&mut out, &model.version);
    emit!(
        out,
        "//! The generated builders and accessors by wire name, so that"
    );
    emit!(
        out,
        "//! `tests/typed.rs` can check each against the schema."
    );
    emit!(out);
    emit!(out, "use ami_proto::typed::field::FieldError;");
    emit!(out, "use ami_proto::typed::{{Event, actions}};");
    emit!(out, "use ami_proto::{{Action, Value}};");
    emit!(out);
    emit!(out, "/// What an accessor returned.");
    emit!(out, "#[derive(Debug, PartialEq, Eq)]");
    emit!(out, "pub(crate) enum Got<'a> {{");
    emit!(out, "    /// A single or numbered header.");
    emit!(out, "    One(Option<Value<'a>>),");
    emit!(out, "    /// A repeated header.");
    emit!(out, "    Many(Vec<Value<'a>>),");
    emit!(out, "}}");
    emit!(out);
    emit!(
        out,
        "/// The action `name` with every parameter set: required ones through `new`,"
    );
    emit!(
        out,
        "/// then the optional ones in the docs' order. A value is `v-<param>` (with"
    );
    emit!(
        out,
        "/// `-1` and `-2` for a repeated one, set twice), or the first listed value;"
    );
    emit!(out, "/// numbered parameters use entry 0.");
    emit!(
        out,
        "pub(crate) fn build_full(name: &str) -> Option<Action> {{"
    );
    emit!(out, "    Some(match name {{");
    for a in &model.actions {
        let mut expr = build_new(a);
        for p in a.params.iter().filter(|p| !p.required) {
            match &p.shape {
                Shape::Single => {
                    let _ = write!(expr, ".{}({})", p.method, placeholder(p, ""));
                }
                Shape::Repeated => {
                    let _ = write!(
                        expr,
                        ".{0}({1}).{0}({2})",
                        p.method,
                        placeholder(p, "-1"),
                        placeholder(p, "-2")
                    );
                }
                Shape::Templated(_) => {
                    let _ = write!(expr, ".{}(0, {})", p.method, placeholder(p, ""));
                }
            }
        }
        emit!(out, "        {:?} => {expr}.into_action(),", a.wire);
    }
    emit!(out, "        _ => return None,");
    emit!(out, "    }})");
    emit!(out, "}}");
    emit!(out);
    emit!(
        out,
        "/// The action `name` with its required parameters only."
    );
    emit!(
        out,
        "pub(crate) fn build_required(name: &str) -> Option<Action> {{"
    );
    emit!(out, "    Some(match name {{");
    for a in &model.actions {
        emit!(out, "        {:?} => {}.into(),", a.wire, build_new(a));
    }
    emit!(out, "        _ => return None,");
    emit!(out, "    }})");
    emit!(out, "}}");
    emit!(out);
    emit!(
        out,
        "/// `value` through the enum of parameter `param` of `action`: what it"
    );
    emit!(
        out,
        "/// sends, and whether it is a listed variant (not `Other`)."
    );
    emit!(
        out,
        "pub(crate) fn enum_roundtrip(action: &str, param: &str, value: &str) -> Option<(String, bool)> {{"
    );
    emit!(out, "    Some(match (action, param) {{");
    for a in &model.actions {
        for p in &a.params {
            if let Some(e) = &p.value_enum {
                emit!(out, "        ({:?}, {:?}) => {{", a.wire, p.wire);
                emit!(
                    out,
                    "            let v = actions::{}::from(value);",
                    e.ident
                );
                emit!(
                    out,
                    "            (v.to_string(), !matches!(v, actions::{}::Other(_)))",
                    e.ident
                );
                emit!(out, "        }}");
            }
        }
    }
    emit!(out, "        _ => return None,");
    emit!(out, "    }})");
    emit!(out, "}}");
    emit!(out);
    emit!(
        out,
        "/// What the accessor of the documented `field` of `event` returns (for a"
    );
    emit!(
        out,
        "/// numbered field, for entry `n`); `None` if it has no such accessor."
    );
    emit!(
        out,
        "pub(crate) fn field<'a>(event: &Event<'a>, field: &str, n: u32) -> Option<Got<'a>> {{"
    );
    emit!(out, "    Some(match event {{");
    for e in &model.events {
        if e.fields.is_empty() {
            continue; // the last arm's `None`
        }
        emit!(out, "        Event::{}(e) => match field {{", e.ident);
        for f in &e.fields {
            let call = match &f.shape {
                Shape::Single if f.typed.is_some() => {
                    format!("Got::One(e.{}())", raw_method(&f.method))
                }
                Shape::Single => format!("Got::One(e.{}())", f.method),
                Shape::Repeated => format!("Got::Many(e.{}().collect())", f.method),
                Shape::Templated(_) => format!("Got::One(e.{}(n))", f.method),
            };
            emit!(out, "            {:?} => {call},", f.wire);
        }
        emit!(out, "            _ => return None,");
        emit!(out, "        }},");
    }
    emit!(out, "        _ => return None,");
    emit!(out, "    }})");
    emit!(out, "}}");
    emit!(out);
    emit!(
        out,
        "/// The typed accessor of the documented `field` of `event`: whether the"
    );
    emit!(
        out,
        "/// header was there and parsed; `None` if the field has no typed accessor."
    );
    emit!(
        out,
        "pub(crate) fn typed_field(event: &Event<'_>, field: &str) -> Option<Result<bool, FieldError>> {{"
    );
    emit!(out, "    Some(match event {{");
    for e in &model.events {
        let typed: Vec<&Field> = e.fields.iter().filter(|f| f.typed.is_some()).collect();
        if typed.is_empty() {
            continue;
        }
        emit!(out, "        Event::{}(e) => match field {{", e.ident);
        for f in typed {
            emit!(
                out,
                "            {:?} => e.{}().map(|v| v.is_some()),",
                f.wire,
                f.method
            );
        }
        emit!(out, "            _ => return None,");
        emit!(out, "        }},");
    }
    emit!(out, "        _ => return None,");
    emit!(out, "    }})");
    emit!(out, "}}");
    out
}

fn build_new(a: &ActionModel) -> String {
    let args: Vec<String> = a
        .params
        .iter()
        .filter(|p| p.required)
        .map(|p| placeholder(p, ""))
        .collect();
    format!("actions::{}::new({})", a.ident, args.join(", "))
}

// ---- driver ------------------------------------------------------------------

fn rustfmt(code: &str, root: &Path) -> Result<String, String> {
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(&program)
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for rustfmt")?;
    let input = code.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked")?
        .map_err(|e| format!("writing to rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output: {e}"))
}

fn run(check: bool) -> Result<bool, String> {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace root")?
        .to_path_buf();
    let schema_path = root.join(SCHEMA);
    let text = std::fs::read_to_string(&schema_path)
        .map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let schema: Schema =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let model = Model::new(schema);
    let files = [
        (ACTIONS_RS, gen_actions(&model)),
        (EVENTS_RS, gen_events(&model)),
        (VALUES_RS, gen_values(&model)),
        (TESTS_RS, gen_tests(&model)),
    ];
    let mut clean = true;
    for (rel, code) in files {
        let formatted = rustfmt(&code, &root)?;
        let path = root.join(rel);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(formatted.as_str()) {
            println!("up to date: {rel}");
            continue;
        }
        clean = false;
        if check {
            println!("out of date: {rel}");
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(&path, formatted).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("wrote: {rel}");
        }
    }
    println!(
        "{} actions, {} events, {} value enums (Asterisk {})",
        model.actions.len(),
        model.events.len(),
        model.enum_count(),
        model.version
    );
    Ok(clean)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args.as_slice() {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => {
            eprintln!("usage: cargo run -p ami-codegen [-- --check]");
            return ExitCode::from(2);
        }
    };
    match run(check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) if !check => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("generated code is out of date: run `cargo run -p ami-codegen`");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("ami-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names() {
        let cases = [
            ("CallerIDNum", "caller_id_num"),
            ("Cause-txt", "cause_txt"),
            ("CID-CallingPres", "cid_calling_pres"),
            ("ServicelevelPerf2", "servicelevel_perf2"),
            ("DAHDIChannel", "dahdi_channel"),
            ("Uniqueid", "uniqueid"),
            ("channel", "channel"),
            ("Async", "r#async"),
            ("Type", "r#type"),
            ("100rel", "_100rel"),
            ("Content-Type", "content_type"),
        ];
        for (wire, ident) in cases {
            assert_eq!(method_ident(wire), ident, "{wire}");
        }
    }

    #[test]
    fn type_names() {
        let cases = [
            ("PJSIPShowEndpoint", "PJSIPShowEndpoint"),
            ("DBGet", "DBGet"),
            ("AGI", "Agi"),
            ("AOC-D", "AocD"),
            ("MCID", "Mcid"),
            ("on", "On"),
            ("MD5", "Md5"),
            ("S", "S"),
            ("Channel1", "Channel1"),
        ];
        for (wire, ident) in cases {
            assert_eq!(type_ident(wire), ident, "{wire}");
        }
    }

    #[test]
    fn templates_and_literals() {
        assert_eq!(
            template("Action-000000"),
            ("Action-{n:06}".to_owned(), "Action".to_owned())
        );
        assert_eq!(
            template("UnitAmount(0)"),
            ("UnitAmount({n})".to_owned(), "UnitAmount".to_owned())
        );
        assert_eq!(
            template("ReportXSourceSSRC"),
            (
                "Report{n}SourceSSRC".to_owned(),
                "ReportSourceSSRC".to_owned()
            )
        );
        assert!(is_literal("MD5") && is_literal("Pre-ring"));
        assert!(!is_literal("system,call,log,...") && !is_literal("Response code"));
        assert_eq!(doc_text("a_b *c* <d>"), "a\\_b \\*c\\* \\<d\\>");
    }
}
