//! Latency histograms: simulated time from each operation's invoke to its
//! completion, one HdrHistogram per op kind (`f`) and outcome.
//!
//! Two files in a run directory:
//! - `latency.hdr`: an HdrHistogram *interval log* (the text format of the
//!   Java `HistogramLogWriter`, readable by its tools): one line per
//!   histogram, `Tag=<f>.<outcome>,0.000,0.000,<max ms>,<base64 of the V2 +
//!   deflate serialization>`, with `#` comment lines above. Values are
//!   nanoseconds of simulated time. In `f`, the characters `%`, `,`, space,
//!   CR and LF are written as `%XX`. A tag that appears twice is merged.
//! - `latency.json`: `{f: {outcome: {count, mean_ms, p50_ms, ...}}}`, in
//!   milliseconds of simulated time.
//!
//! ```
//! use results::latency::{Latencies, Outcome};
//!
//! let mut lat = Latencies::new();
//! lat.record("read", Outcome::Ok, 2_000_000);
//! let back = Latencies::from_hdr(&lat.to_hdr(), "latency.hdr").unwrap();
//! assert_eq!(back.get("read", Outcome::Ok).unwrap().len(), 1);
//! ```

use crate::history::{EventType, FormatError, History, Process};
use base64::Engine;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, LogIteratorError, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

pub mod by_fault;
pub mod seeds;

/// File name of the histograms in a run or sweep directory.
pub const HDR_FILE: &str = "latency.hdr";
/// File name of the percentile summary in a run directory.
pub const JSON_FILE: &str = "latency.json";
/// Significant decimal digits kept by every histogram (0.1% resolution).
pub const SIGNIFICANT_DIGITS: u8 = 3;
/// The percentiles reported everywhere: label (as in `p99_ms`) and quantile.
pub const PERCENTILES: [(&str, f64); 4] =
    [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99_9", 0.999)];

const NS_PER_MS: f64 = 1_000_000.0;

/// How a completed operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It happened.
    Ok,
    /// It certainly did not happen.
    Fail,
    /// Unknown (timed out or connection lost).
    Info,
}

impl Outcome {
    /// All outcomes, in report order.
    pub const ALL: [Outcome; 3] = [Outcome::Ok, Outcome::Fail, Outcome::Info];

    /// The lowercase name used in tags and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Info => "info",
        }
    }

    /// The outcome named `s` (`ok`, `fail`, `info`).
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The outcome of a completion event; `None` for an invoke.
    pub fn of(kind: EventType) -> Option<Outcome> {
        match kind {
            EventType::Invoke => None,
            EventType::Ok => Some(Outcome::Ok),
            EventType::Fail => Some(Outcome::Fail),
            EventType::Info => Some(Outcome::Info),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One client operation: its invoke paired with its completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedOp {
    /// The invoking process.
    pub process: u64,
    /// The op kind, from the invoke.
    pub f: String,
    /// Index of the invoke event.
    pub invoke_index: u64,
    /// Index of the completion event.
    pub complete_index: u64,
    /// Simulated ns of the invoke.
    pub invoke_ns: u64,
    /// Simulated ns of the completion.
    pub complete_ns: u64,
    /// How it ended.
    pub outcome: Outcome,
}

impl CompletedOp {
    /// Simulated latency in ns (0 if an imported history runs backwards).
    pub fn latency_ns(&self) -> u64 {
        self.complete_ns.saturating_sub(self.invoke_ns)
    }
}

/// Pairs each client invoke with the next completion of the same process.
/// Nemesis events, completions without an invoke and invokes that never
/// complete are left out (an op with no completion has no latency).
pub fn completed_ops(history: &History) -> Vec<CompletedOp> {
    let mut pending: HashMap<u64, (u64, u64, &str)> = HashMap::new();
    let mut ops = Vec::new();
    for event in history.events() {
        let Process::Client(process) = event.process else {
            continue;
        };
        match Outcome::of(event.kind) {
            None => {
                pending.insert(process, (event.index, event.time, &event.f));
            }
            Some(outcome) => {
                if let Some((invoke_index, invoke_ns, f)) = pending.remove(&process) {
                    ops.push(CompletedOp {
                        process,
                        f: f.to_string(),
                        invoke_index,
                        complete_index: event.index,
                        invoke_ns,
                        complete_ns: event.time,
                        outcome,
                    });
                }
            }
        }
    }
    ops
}

/// Percentiles of one histogram, in milliseconds of simulated time: one
/// entry of `latency.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of operations.
    pub count: u64,
    /// Mean latency.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p99_9_ms: f64,
    /// Largest latency recorded.
    pub max_ms: f64,
}

impl Summary {
    /// The summary of `h` (values in ns).
    pub fn of(h: &Histogram<u64>) -> Summary {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / NS_PER_MS;
        Summary {
            count: h.len(),
            mean_ms: h.mean() / NS_PER_MS,
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            p99_9_ms: ms(0.999),
            max_ms: h.max() as f64 / NS_PER_MS,
        }
    }
}

/// Latency histograms (values in ns) keyed by op kind and outcome.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    histograms: BTreeMap<(String, Outcome), Histogram<u64>>,
}

impl PartialEq for Latencies {
    fn eq(&self, other: &Self) -> bool {
        self.histograms.len() == other.histograms.len()
            && self
                .histograms
                .iter()
                .zip(&other.histograms)
                .all(|((ka, ha), (kb, hb))| ka == kb && ha == hb)
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits is a valid precision")
}

impl Latencies {
    /// No histograms.
    pub fn new() -> Self {
        Self::default()
    }

    /// The latency of every completed client operation in `history`.
    pub fn from_history(history: &History) -> Self {
        let mut lat = Latencies::new();
        for op in completed_ops(history) {
            lat.record(&op.f, op.outcome, op.latency_ns());
        }
        lat
    }

    /// Records one operation of kind `f` that ended with `outcome`.
    pub fn record(&mut self, f: &str, outcome: Outcome, latency_ns: u64) {
        self.histogram_mut(f, outcome)
            .record(latency_ns)
            .expect("auto-resizing histograms accept any u64");
    }

    /// Records `count` operations of kind `f` and `outcome`, each `latency_ns`.
    pub(crate) fn record_n(&mut self, f: &str, outcome: Outcome, latency_ns: u64, count: u64) {
        self.histogram_mut(f, outcome)
            .record_n(latency_ns, count)
            .expect("auto-resizing histograms accept any u64");
    }

    fn histogram_mut(&mut self, f: &str, outcome: Outcome) -> &mut Histogram<u64> {
        self.histograms
            .entry((f.to_string(), outcome))
            .or_insert_with(new_histogram)
    }

    /// Adds every histogram of `other` into this one (e.g. many runs of a
    /// sweep into one).
    pub fn merge(&mut self, other: &Latencies) {
        for ((f, outcome), h) in &other.histograms {
            self.add(f, *outcome, h);
        }
    }

    fn add(&mut self, f: &str, outcome: Outcome, h: &Histogram<u64>) {
        self.histogram_mut(f, outcome)
            .add(h)
            .expect("auto-resizing histograms accept any u64");
    }

    /// The histogram of kind `f` and `outcome`, if any op was recorded.
    pub fn get(&self, f: &str, outcome: Outcome) -> Option<&Histogram<u64>> {
        self.histograms.get(&(f.to_string(), outcome))
    }

    /// All histograms, ordered by kind, then outcome.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Outcome, &Histogram<u64>)> {
        self.histograms
            .iter()
            .map(|((f, outcome), h)| (f.as_str(), *outcome, h))
    }

    /// The op kinds present, in order.
    pub fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self.histograms.keys().map(|(f, _)| f.as_str()).collect();
        kinds.dedup();
        kinds
    }

    /// True when no operation was recorded.
    pub fn is_empty(&self) -> bool {
        self.histograms.is_empty()
    }

    /// The contents of `latency.json`: kind → outcome → [`Summary`].
    pub fn summaries(&self) -> BTreeMap<String, BTreeMap<Outcome, Summary>> {
        let mut out: BTreeMap<String, BTreeMap<Outcome, Summary>> = BTreeMap::new();
        for (f, outcome, h) in self.iter() {
            out.entry(f.to_string())
                .or_default()
                .insert(outcome, Summary::of(h));
        }
        out
    }

    /// `latency.json` as pretty-printed text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.summaries()).expect("summaries serialize") + "\n"
    }

    /// Writes the interval log described in the module docs.
    pub fn write_hdr(&self, mut out: impl Write) -> io::Result<()> {
        write_log_header(&mut out, "latency histograms", "<f>.<ok|fail|info>")?;
        let mut serializer = V2DeflateSerializer::new();
        let mut log = IntervalLogWriterBuilder::new()
            .with_max_value_divisor(NS_PER_MS)
            .begin_log_with(&mut out, &mut serializer)?;
        for (f, outcome, h) in self.iter() {
            let tag = format!("{}.{}", escape_tag(f), outcome);
            let tag = Tag::new(&tag).expect("escape_tag removes every character a tag forbids");
            log.write_histogram(h, Duration::ZERO, Duration::ZERO, Some(tag))
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        Ok(())
    }

    /// The bytes of `latency.hdr`.
    pub fn to_hdr(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.write_hdr(&mut buf)
            .expect("writing to a Vec cannot fail");
        buf
    }

    /// Reads `latency.hdr` text; `file` names it in errors.
    pub fn from_hdr(bytes: &[u8], file: &str) -> Result<Self, FormatError> {
        let error = |offset: usize, message: String| FormatError {
            file: file.to_string(),
            line: line_of(bytes, offset),
            message,
        };
        let mut lat = Latencies::new();
        for entry in IntervalLogIterator::new(bytes) {
            let interval = match entry {
                Ok(LogEntry::Interval(interval)) => interval,
                Ok(LogEntry::StartTime(_) | LogEntry::BaseTime(_)) => continue,
                Err(LogIteratorError::ParseError { offset }) => {
                    return Err(error(offset, "expected a `#` comment or a histogram line `Tag=<f>.<outcome>,<start s>,<length s>,<max>,<base64 histogram>` ending in a newline".into()));
                }
            };
            let encoded = interval.encoded_histogram();
            let offset = encoded.as_ptr() as usize - bytes.as_ptr() as usize;
            let (f, outcome) = interval
                .tag()
                .and_then(|tag| parse_tag(&tag))
                .ok_or_else(|| {
                    error(
                        offset,
                        "expected a tag `Tag=<f>.<ok|fail|info>` on every histogram".into(),
                    )
                })?;
            let h = decode_histogram(encoded).map_err(|e| error(offset, e))?;
            lat.add(&f, outcome, &h);
        }
        Ok(lat)
    }

    /// Reads the `latency.hdr` file at `path`.
    pub fn read_hdr_file(path: &Path) -> Result<Self, FormatError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| FormatError {
            file: name.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        Self::from_hdr(&bytes, &name)
    }

    /// Writes `latency.hdr` and `latency.json` into `dir`.
    pub fn write_files(&self, dir: &Path) -> io::Result<()> {
        std::fs::write(dir.join(HDR_FILE), self.to_hdr())?;
        std::fs::write(dir.join(JSON_FILE), self.to_json())
    }
}

/// The most significant digits a histogram read from a file may keep: at 4
/// digits and the widest range a histogram holds about 820,000 counts
/// (6.5 MB); at 5 it would be eight times that, for one line of a file.
pub const MAX_SIGNIFICANT_DIGITS: u32 = 4;
/// The most bytes one histogram may inflate to (its V2 header and payload).
pub const MAX_INFLATED_BYTES: u64 = 16 << 20;

const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;
const V2_DEFLATE_COOKIE: u32 = 0x1c84_9304 | 0x10;
/// Cookie, payload length, normalizing offset, digits, low, high, ratio.
const V2_HEADER_BYTES: usize = 40;

/// The comment lines and column header that open an interval log of ours:
/// `what` it holds and the form of its `tags`.
pub(crate) fn write_log_header(out: &mut impl Write, what: &str, tags: &str) -> io::Result<()> {
    writeln!(
        out,
        "#[harness {what}: simulated ns from invoke to completion]"
    )?;
    writeln!(
        out,
        "#[one histogram per Tag={tags}; HdrHistogram V2 + deflate, base64]"
    )?;
    writeln!(
        out,
        "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
    )
}

/// Decodes one base64 histogram (V2, or V2 + deflate), checking every size
/// field before anything is allocated from it: the deflated stream may
/// inflate to at most [`MAX_INFLATED_BYTES`], the payload length must match
/// the bytes present and the precision is at most
/// [`MAX_SIGNIFICANT_DIGITS`]. (`hdrhistogram`'s own deserializer allocates
/// whatever the payload length field says, up to 4 GiB.)
pub(crate) fn decode_histogram(encoded: &str) -> Result<Histogram<u64>, String> {
    use std::io::Read;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| format!("expected a base64 histogram: {e}"))?;
    let be_u32 = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    let v2 = match be_u32(&bytes, 0) {
        Some(V2_COOKIE) => bytes,
        Some(V2_DEFLATE_COOKIE) => {
            let deflated_len = be_u32(&bytes, 4).ok_or("expected the deflated length")? as usize;
            let deflated = bytes.get(8..8 + deflated_len).ok_or_else(|| {
                format!(
                    "the deflated length says {deflated_len} bytes, but {} follow",
                    bytes.len().saturating_sub(8)
                )
            })?;
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(deflated)
                .take(MAX_INFLATED_BYTES + 1)
                .read_to_end(&mut inflated)
                .map_err(|e| {
                    format!("expected a zlib stream after the V2 + deflate cookie: {e}")
                })?;
            if inflated.len() as u64 > MAX_INFLATED_BYTES {
                return Err(format!(
                    "the histogram inflates to more than {MAX_INFLATED_BYTES} bytes"
                ));
            }
            inflated
        }
        _ => return Err("expected an HdrHistogram V2 or V2 + deflate cookie".into()),
    };
    if be_u32(&v2, 0) != Some(V2_COOKIE) || v2.len() < V2_HEADER_BYTES {
        return Err(format!(
            "expected a V2 histogram header of {V2_HEADER_BYTES} bytes"
        ));
    }
    let payload_len = be_u32(&v2, 4).unwrap_or(u32::MAX) as usize;
    if payload_len > v2.len() - V2_HEADER_BYTES {
        return Err(format!(
            "the payload length says {payload_len} bytes, but {} follow the header",
            v2.len() - V2_HEADER_BYTES
        ));
    }
    let digits = be_u32(&v2, 12).unwrap_or(u32::MAX);
    if digits > MAX_SIGNIFICANT_DIGITS {
        return Err(format!(
            "the histogram keeps {digits} significant digits; at most {MAX_SIGNIFICANT_DIGITS} are read"
        ));
    }
    Deserializer::new()
        .deserialize(&mut v2.as_slice())
        .map_err(|e| format!("expected an HdrHistogram V2 histogram: {e:?}"))
}

pub(crate) fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Escapes the characters an interval-log tag cannot hold, and `%`.
pub(crate) fn escape_tag(f: &str) -> String {
    let mut out = String::with_capacity(f.len());
    for c in f.chars() {
        match c {
            '%' | ',' | ' ' | '\r' | '\n' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Splits `<escaped f>.<outcome>` back into kind and outcome.
pub(crate) fn parse_tag(tag: &str) -> Option<(String, Outcome)> {
    let (f, outcome) = tag.rsplit_once('.')?;
    let outcome = Outcome::parse(outcome)?;
    let mut out = Vec::with_capacity(f.len());
    let mut bytes = f.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    Some((String::from_utf8(out).ok()?, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_escape_forbidden_characters() {
        let f = "a,b c%d\n.e";
        let tag = format!("{}.{}", escape_tag(f), Outcome::Info);
        assert!(Tag::new(&tag).is_some(), "{tag}");
        assert_eq!(parse_tag(&tag), Some((f.to_string(), Outcome::Info)));
        assert_eq!(parse_tag("read.maybe"), None);
        assert_eq!(parse_tag("read%4.ok"), None);
    }

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of(b"a\nb\nc", 0), 1);
        assert_eq!(line_of(b"a\nb\nc", 2), 2);
        assert_eq!(line_of(b"a\nb\nc", 99), 3);
    }
}
