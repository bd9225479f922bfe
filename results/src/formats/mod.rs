//! History file formats: our JSONL (see [`crate::history`]), Jepsen EDN,
//! and Porcupine's two log formats. The format is detected from the content
//! unless given; every reader reports a bad line with file, line number and
//! what was expected.

pub mod edn;
pub mod jepsen;
pub mod porcupine;

use crate::check::Source;
use crate::history::{FormatError, History};
use std::fmt;
use std::str::FromStr;

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
            })
        }
    };
    let (history, lines) = match format {
        Format::Jsonl => {
            let history = History::from_jsonl(text, file)?;
            let lines = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(n, _)| n + 1)
                .collect();
            (history, lines)
        }
        Format::Edn | Format::PorcupineKv => jepsen::read(text, file)?,
        Format::PorcupineEtcd => porcupine::read(text, file)?,
    };
    Ok(Loaded {
        file: file.to_string(),
        format,
        history,
        lines,
    })
}

/// Reads the file at `path` (see [`load`]).
pub fn load_file(path: &std::path::Path, format: Option<Format>) -> Result<Loaded, FormatError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FormatError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    load(&text, &file, format)
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
    fn jsonl_lines_skip_blanks() {
        let text = "\n{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\",\"value\":null}\n";
        let loaded = load(text, "h.jsonl", None).unwrap();
        assert_eq!(
            (loaded.format, loaded.lines.as_slice()),
            (Format::Jsonl, &[2][..])
        );
        assert_eq!(load("hello", "h.txt", None).unwrap_err().line, 0);
        for blank in ["", "\n  \n", "; a comment\n"] {
            assert!(load(blank, "h.log", None).unwrap().history.is_empty());
        }
    }
}
