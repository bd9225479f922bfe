//! History file formats: our JSONL (see [`crate::history`]), Jepsen EDN,
//! and Porcupine's two log formats. The format is detected from the content
//! unless given; every reader reports a bad line with file, line number and
//! what was expected.

pub mod edn;
pub mod jepsen;
pub mod porcupine;

use crate::check::Source;
use crate::history::{Event, FormatError, History};
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

/// Why [`load_within`] gave up on a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The file is not a history (file, line, what was expected).
    Format(FormatError),
    /// The time budget ran out while reading, at this line of this file.
    OutOfTime {
        /// The file.
        file: String,
        /// The line reached.
        line: usize,
    },
}

impl From<FormatError> for LoadError {
    fn from(e: FormatError) -> Self {
        LoadError::Format(e)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Format(e) => e.fmt(f),
            LoadError::OutOfTime { file, line } => {
                write!(f, "{file}:{line}: the time budget ran out while reading")
            }
        }
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// As a [`FormatError`] (running out of time names the line reached).
    pub fn into_format(self) -> FormatError {
        match self {
            LoadError::Format(e) => e,
            LoadError::OutOfTime { file, line } => FormatError {
                file,
                line,
                message: "the time budget ran out while reading".into(),
            },
        }
    }
}

/// When reading must stop; readers look at the clock every
/// [`Deadline::EVERY`] events.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Deadline(pub Option<Instant>);

impl Deadline {
    const EVERY: usize = 1024;

    /// `Err` if the deadline has passed (checked for every
    /// [`Deadline::EVERY`]th event only); `line` says where.
    pub fn check(&self, events: usize, file: &str, line: usize) -> Result<(), LoadError> {
        match self.0 {
            Some(d) if events.is_multiple_of(Self::EVERY) && Instant::now() >= d => {
                Err(LoadError::OutOfTime {
                    file: file.to_string(),
                    line,
                })
            }
            _ => Ok(()),
        }
    }
}

/// `text` for an error message: whole if short, else its first 60
/// characters and its length (a line of a hostile file can be megabytes).
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        None => text.to_string(),
        Some((end, _)) => format!("{}... ({} bytes)", &text[..end], text.len()),
    }
}

/// The key given to operations of single-register histories, which have
/// none (Porcupine's etcd logs, Jepsen histories without tuples).
pub const SINGLE_KEY: &str = "register";

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Ours: one JSON event per line.
    Jsonl,
    /// Jepsen's EDN op maps.
    Edn,
    /// Porcupine's etcd logs (Jepsen's text log of a cas register).
    PorcupineEtcd,
    /// Porcupine's kv logs (EDN maps with `:key`, get/put/append).
    PorcupineKv,
}

impl Format {
    /// Every format, as `--format` lists them.
    pub const ALL: [Format; 4] = [
        Format::Jsonl,
        Format::Edn,
        Format::PorcupineEtcd,
        Format::PorcupineKv,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Edn => "edn",
            Format::PorcupineEtcd => "porcupine-etcd",
            Format::PorcupineKv => "porcupine-kv",
        }
    }

    /// Guesses the format from the text: a JSON object first means JSONL,
    /// an EDN map or vector means EDN (Porcupine's kv logs if the first map
    /// has `:key`), and Jepsen log lines mean an etcd log.
    pub fn detect(text: &str) -> Option<Format> {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with(';'))?;
        if let Some(rest) = first.strip_prefix('{') {
            return Some(match rest.trim_start().chars().next() {
                Some('"') | Some('}') => Format::Jsonl,
                _ if first.contains(":key ") && !first.contains(":index") => Format::PorcupineKv,
                _ => Format::Edn,
            });
        }
        if text
            .lines()
            .take(1000)
            .any(|l| l.contains(porcupine::MARKER))
        {
            return Some(Format::PorcupineEtcd);
        }
        first.starts_with(['[', '(', '#']).then_some(Format::Edn)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown format {s:?}: expected jsonl, edn, porcupine-etcd or porcupine-kv")
            })
    }
}

/// A history read from a file, with where each event came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// The file, as named.
    pub file: String,
    /// The format it was read as.
    pub format: Format,
    /// The events.
    pub history: History,
    /// The 1-based line of each event.
    pub lines: Vec<usize>,
}

impl Loaded {
    /// Where the events came from, for the checker's error messages.
    pub fn source(&self) -> Source<'_> {
        Source {
            file: &self.file,
            lines: Some(&self.lines),
        }
    }
}

/// Reads `text` (from `file`) as `format`, or as the detected format.
///
/// A file with nothing in it but blank lines (and `;` comments) is an empty
/// history in any format: the checker then says it tested nothing, rather
/// than that its format cannot be told.
pub fn load(text: &str, file: &str, format: Option<Format>) -> Result<Loaded, FormatError> {
    load_within(text, file, format, None).map_err(LoadError::into_format)
}

/// [`load`], giving up with [`LoadError::OutOfTime`] once `deadline` (if
/// any) has passed.
pub fn load_within(
    text: &str,
    file: &str,
    format: Option<Format>,
    deadline: Option<Instant>,
) -> Result<Loaded, LoadError> {
    let deadline = Deadline(deadline);
    let blank = text
        .lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with(';'));
    if blank {
        return Ok(Loaded {
            file: file.to_string(),
            format: format.unwrap_or(Format::Jsonl),
            history: History::new(),
            lines: Vec::new(),
        });
    }
    let format = match format.or_else(|| Format::detect(text)) {
        Some(f) => f,
        None => {
            return Err(FormatError {
                file: file.to_string(),
                line: 0,
                message: "cannot tell the format: expected JSONL events, Jepsen EDN op maps or a Jepsen/Porcupine log (or say --format)".into(),
            }
            .into())
        }
    };
    let (history, lines) = match format {
        Format::Jsonl => read_jsonl(text, file, deadline)?,
        Format::Edn | Format::PorcupineKv => jepsen::read_within(text, file, deadline)?,
        Format::PorcupineEtcd => porcupine::read_within(text, file, deadline)?,
    };
    Ok(Loaded {
        file: file.to_string(),
        format,
        history,
        lines,
    })
}

/// A JSONL history and the line of each event; blank lines are skipped.
fn read_jsonl(
    text: &str,
    file: &str,
    deadline: Deadline,
) -> Result<(History, Vec<usize>), LoadError> {
    let (mut events, mut lines) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        deadline.check(events.len(), file, n + 1)?;
        events.push(Event::from_jsonl_line(line, file, n + 1)?);
        lines.push(n + 1);
    }
    Ok((History::from_events(events), lines))
}

/// Reads the file at `path` (see [`load`]).
pub fn load_file(path: &std::path::Path, format: Option<Format>) -> Result<Loaded, FormatError> {
    let text = read_text(path)?;
    load(&text, &path.display().to_string(), format)
}

/// [`load_file`] within a deadline (see [`load_within`]).
pub fn load_file_within(
    path: &std::path::Path,
    format: Option<Format>,
    deadline: Option<Instant>,
) -> Result<Loaded, LoadError> {
    let text = read_text(path)?;
    load_within(&text, &path.display().to_string(), format, deadline)
}

/// The file's text; bytes that are not UTF-8 are an error naming the line
/// and byte where they start.
pub fn read_text(path: &std::path::Path) -> Result<String, FormatError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| FormatError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        utf8_error(&file, bytes, at)
    })
}

/// The error for `bytes` (of `file`), which are UTF-8 up to byte `at`.
fn utf8_error(file: &str, bytes: &[u8], at: usize) -> FormatError {
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let bad: Vec<String> = bytes[at..]
        .iter()
        .take(4)
        .map(|b| format!("{b:#04x}"))
        .collect();
    FormatError {
        file: file.to_string(),
        line,
        message: format!(
            "invalid UTF-8 at byte {at} of the file (byte {} of line {line}): {}: expected text",
            at - line_start + 1,
            bad.join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    #[test]
    fn detects_formats_from_content() {
        let cases = [
            ("{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\"}", Some(Format::Jsonl)),
            ("{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x\"}",                    Some(Format::PorcupineKv)),
            ("{:type :invoke, :f :read, :value nil, :process 0, :index 0}",                          Some(Format::Edn)),
            ("[{:type :invoke, :f :read, :value nil, :process 0}]",                                  Some(Format::Edn)),
            ("INFO  jepsen.core - hello\nINFO  jepsen.util - 4\t:invoke\t:read\tnil",               Some(Format::PorcupineEtcd)),
            ("hello",                                                                                None),
        ];
        for (text, format) in cases {
            assert_eq!(Format::detect(text), format, "{text}");
        }
    }

    #[test]
    fn echoed_input_is_cut_short() {
        let name = "x".repeat(100_000);
        let line = format!("INFO  jepsen.util - 0 :invoke {name} nil");
        let e = load(&line, "h.log", None).unwrap_err();
        assert!(e.to_string().len() < 300, "{e}");
        assert!(e.message.contains("(100000 bytes)"), "{e}");
        let edn = format!("{{:type :{name}, :f :read, :process 0}}");
        let e = load(&edn, "h.edn", None).unwrap_err();
        assert!(e.to_string().len() < 300, "{e}");
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn jsonl_lines_skip_blanks() {
        let text = "\n{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\",\"value\":null}\n";
        let loaded = load(text, "h.jsonl", None).unwrap();
        assert_eq!(
            (loaded.format, loaded.lines.as_slice()),
            (Format::Jsonl, &[2][..])
        );
        assert_eq!(load("hello", "h.txt", None).unwrap_err().line, 0);
        let bad = b"{}\nab\xffcd";
        let e = utf8_error("h.jsonl", bad, 5);
        assert_eq!(e.line, 2, "{e}");
        assert!(
            e.message.contains("byte 5 of the file (byte 3 of line 2)"),
            "{e}"
        );
        assert!(e.message.contains("0xff"), "{e}");
        let past = Some(Instant::now());
        let mut long = String::new();
        for i in 0..3000 {
            long.push_str(&format!("{{\"index\":{i},\"time\":{i},\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\",\"value\":null}}\n"));
        }
        assert!(matches!(
            load_within(&long, "h.jsonl", None, past),
            Err(LoadError::OutOfTime { line: 1, .. })
        ));
        assert!(load_within(&long, "h.jsonl", None, None).is_ok());
        for blank in ["", "\n  \n", "; a comment\n"] {
            assert!(load(blank, "h.log", None).unwrap().history.is_empty());
        }
    }
}
