//! Per-seed histograms: a sweep kept as a sample of seeds, not only as one
//! merged histogram, so that `compare` can tell a difference between two
//! versions from the spread between seeds of one.
//!
//! One file in a sweep directory, `seeds.hdr`: an HdrHistogram interval log
//! as `latency.hdr` (see [`super`]), one line per seed, group and op kind
//! and outcome, tagged `Tag=<seed>/<group>/<f>.<outcome>`, where the group
//! is `all` (every op), `none` (ops that overlapped no fault) or a fault
//! kind (see [`super::by_fault`]). Group and `f` are escaped as in
//! `latency.hdr`, the group's `/` too. A seed with no completed op has no
//! line. Merging every `all` line of a file gives the sweep's
//! `latency.hdr`.
//!
//! Reading checks every size before allocating from it: the file (at most
//! [`MAX_FILE_BYTES`]), each tag, and each histogram (see
//! `latency::decode_histogram`).
//!
//! ```
//! use results::latency::by_fault::FaultLatencies;
//! use results::latency::seeds::SeedLatencies;
//! use results::latency::{Latencies, Outcome};
//!
//! let mut seeds = SeedLatencies::new();
//! for seed in [3, 4] {
//!     let mut lat = FaultLatencies::default();
//!     lat.all.record("read", Outcome::Ok, 1_000_000 * seed);
//!     seeds.insert(seed, lat);
//! }
//! let back = SeedLatencies::from_hdr(&seeds.to_hdr(), "seeds.hdr").unwrap();
//! assert_eq!(back, seeds);
//! assert_eq!(back.merged().all.get("read", Outcome::Ok).unwrap().len(), 2);
//! ```

use super::by_fault::FaultLatencies;
use super::{decode_histogram, escape_tag, line_of, write_log_header, Outcome, NS_PER_MS};
use crate::history::FormatError;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, LogIteratorError, Tag,
};
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

/// File name of the per-seed histograms in a sweep directory.
pub const SEEDS_FILE: &str = "seeds.hdr";
/// The largest `seeds.hdr` read (a 10,000-seed sweep writes about 60 MB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// The longest tag read.
const MAX_TAG_BYTES: usize = 1024;

/// One histogram kept sparse: each non-empty bucket as (its highest
/// equivalent value, as `value_at_quantile` reports it; its count),
/// ascending. A decoded `Histogram` is as wide as its longest latency
/// (about 180 KB for 2 s at 3 significant digits) whatever it holds; this
/// is 16 bytes a bucket that was hit, so 10,000 seeds fit in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buckets(Vec<(u64, u64)>);

impl Buckets {
    /// The non-empty buckets of `h`.
    pub fn of(h: &Histogram<u64>) -> Self {
        Buckets(
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        )
    }

    /// Every (value, count), ascending by value.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.0.iter().copied()
    }

    /// Number of ops.
    pub fn len(&self) -> u64 {
        self.0.iter().map(|&(_, n)| n).sum()
    }

    /// True when no op was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &Buckets) {
        let mut out = Vec::with_capacity(self.0.len() + other.0.len());
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&(va, na)), Some(&&(vb, nb))) if va == vb => {
                    a.next();
                    b.next();
                    (va, na + nb)
                }
                (Some(&&x), Some(&&y)) => {
                    if x.0 < y.0 {
                        a.next();
                        x
                    } else {
                        b.next();
                        y
                    }
                }
                (Some(&&x), None) => {
                    a.next();
                    x
                }
                (None, Some(&&y)) => {
                    b.next();
                    y
                }
                (None, None) => break,
            };
            out.push(next);
        }
        self.0 = out;
    }
}

/// One seed's buckets, by (group, op kind, outcome).
type SeedBuckets = BTreeMap<(String, String, Outcome), Buckets>;

/// Each seed's histograms, by seed, kept sparse ([`Buckets`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeedLatencies {
    seeds: BTreeMap<u64, SeedBuckets>,
}

impl SeedLatencies {
    /// No seeds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds seed `seed`'s histograms (merged with any already there).
    pub fn insert(&mut self, seed: u64, lat: FaultLatencies) {
        let mine = self.seeds.entry(seed).or_default();
        for (group, l) in lat.iter() {
            for (f, outcome, h) in l.iter() {
                mine.entry((group.to_string(), f.to_string(), outcome))
                    .or_default()
                    .merge(&Buckets::of(h));
            }
        }
    }

    /// Adds every seed of `other` (e.g. two shards of one sweep).
    pub fn merge(&mut self, other: &SeedLatencies) {
        for (&seed, theirs) in &other.seeds {
            let mine = self.seeds.entry(seed).or_default();
            for (key, b) in theirs {
                mine.entry(key.clone()).or_default().merge(b);
            }
        }
    }

    /// The seeds, in order.
    pub fn seeds(&self) -> impl Iterator<Item = u64> + '_ {
        self.seeds.keys().copied()
    }

    /// Seed `seed`'s histograms, rebuilt.
    pub fn get(&self, seed: u64) -> Option<FaultLatencies> {
        self.seeds.get(&seed).map(rebuild)
    }

    /// Each seed's buckets of `group`, op kind `f` and `outcome`, in seed
    /// order (`None`: that seed had no such op).
    pub fn row(&self, group: &str, f: &str, outcome: Outcome) -> Vec<Option<&Buckets>> {
        let key = (group.to_string(), f.to_string(), outcome);
        self.seeds.values().map(|s| s.get(&key)).collect()
    }

    /// Number of seeds.
    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    /// True when there is no seed.
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }

    /// Every seed merged into one.
    pub fn merged(&self) -> FaultLatencies {
        let mut all = SeedBuckets::new();
        for seed in self.seeds.values() {
            for (key, b) in seed {
                all.entry(key.clone()).or_default().merge(b);
            }
        }
        rebuild(&all)
    }

    /// Writes `seeds.hdr` as described in the module docs.
    pub fn write_hdr(&self, mut out: impl Write) -> io::Result<()> {
        write_header(&mut out)?;
        for (&seed, buckets) in &self.seeds {
            out.write_all(&seed_lines(seed, &rebuild(buckets))?)?;
        }
        Ok(())
    }

    /// The bytes of `seeds.hdr`.
    pub fn to_hdr(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.write_hdr(&mut buf)
            .expect("writing to a Vec cannot fail");
        buf
    }

    /// Reads `seeds.hdr` text; `file` names it in errors.
    pub fn from_hdr(bytes: &[u8], file: &str) -> Result<Self, FormatError> {
        let error = |offset: usize, message: String| FormatError {
            file: file.to_string(),
            line: line_of(bytes, offset),
            message,
        };
        let mut seeds = SeedLatencies::new();
        for entry in IntervalLogIterator::new(bytes) {
            let interval = match entry {
                Ok(LogEntry::Interval(interval)) => interval,
                Ok(LogEntry::StartTime(_) | LogEntry::BaseTime(_)) => continue,
                Err(LogIteratorError::ParseError { offset }) => {
                    return Err(error(offset, "expected a `#` comment or a histogram line `Tag=<seed>/<group>/<f>.<outcome>,<start s>,<length s>,<max>,<base64 histogram>` ending in a newline".into()));
                }
            };
            let encoded = interval.encoded_histogram();
            let offset = encoded.as_ptr() as usize - bytes.as_ptr() as usize;
            let (seed, group, f, outcome) = interval
                .tag()
                .filter(|tag| tag.as_str().len() <= MAX_TAG_BYTES)
                .and_then(|tag| parse_seed_tag(tag.as_str()))
                .ok_or_else(|| {
                    error(
                        offset,
                        format!("expected a tag `Tag=<seed>/<all|none|fault kind>/<f>.<ok|fail|info>` of at most {MAX_TAG_BYTES} bytes on every histogram"),
                    )
                })?;
            let h = decode_histogram(encoded).map_err(|e| error(offset, e))?;
            // Kept sparse at once: the decoded histogram is dropped here.
            seeds
                .seeds
                .entry(seed)
                .or_default()
                .entry((group, f, outcome))
                .or_default()
                .merge(&Buckets::of(&h));
        }
        Ok(seeds)
    }

    /// Reads the `seeds.hdr` file at `path`.
    pub fn read_file(path: &Path) -> Result<Self, FormatError> {
        let bytes = read_bounded(path)?;
        Self::from_hdr(&bytes, &path.display().to_string())
    }
}

/// The bytes of the `seeds.hdr` file at `path`, refused above
/// [`MAX_FILE_BYTES`].
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, FormatError> {
    let error = |message: String| FormatError {
        file: path.display().to_string(),
        line: 0,
        message,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| error(format!("cannot read: {e}")))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(error(format!(
            "{len} bytes: expected a per-seed histogram file of at most {MAX_FILE_BYTES} bytes"
        )));
    }
    std::fs::read(path).map_err(|e| error(format!("cannot read: {e}")))
}

/// Each seed's lines of `seeds.hdr`, encoded as soon as the seed is
/// added: what a sweep keeps while it runs. A seed's histograms take about
/// 10 MB decoded (one per group, op kind and outcome, each as wide as its
/// longest latency) but a few KB encoded, so a sweep of 10,000 seeds holds
/// tens of MB, not a hundred GB.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeedLines {
    seeds: BTreeMap<u64, Vec<u8>>,
    /// Every seed's histograms merged (one set, whatever the seed count).
    merged: FaultLatencies,
}

impl SeedLines {
    /// No seeds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds seed `seed`'s histograms; a seed added twice is an error (the
    /// same seed from two shards).
    pub fn insert(&mut self, seed: u64, lat: &FaultLatencies) -> io::Result<()> {
        if self.seeds.contains_key(&seed) {
            return Err(io::Error::other(format!("seed {seed} is there twice")));
        }
        self.seeds.insert(seed, seed_lines(seed, lat)?);
        self.merged.merge(lat);
        Ok(())
    }

    /// Every seed added, merged.
    pub fn merged(&self) -> &FaultLatencies {
        &self.merged
    }

    /// Adds every seed of a `seeds.hdr` file's text, each line checked as
    /// [`SeedLatencies::from_hdr`] checks it but decoded on its own, so the
    /// file's seeds are never all decoded at once; a seed already here is an
    /// error.
    pub fn add_hdr(&mut self, bytes: &[u8], file: &str) -> Result<(), FormatError> {
        let mut added: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        let mut merged = FaultLatencies::default();
        for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            if line.starts_with(b"#") || line.starts_with(b"\"StartTimestamp\"") {
                continue;
            }
            let one = SeedLatencies::from_hdr(line, file)
                .map_err(|e| FormatError { line: i + 1, ..e })?;
            for seed in one.seeds() {
                added.entry(seed).or_default().extend_from_slice(line);
            }
            merged.merge(&one.merged());
        }
        if let Some(seed) = added.keys().find(|s| self.seeds.contains_key(s)) {
            return Err(FormatError {
                file: file.to_string(),
                line: 0,
                message: format!("seed {seed} is already in another per-seed file"),
            });
        }
        self.seeds.extend(added);
        self.merged.merge(&merged);
        Ok(())
    }

    /// Number of seeds.
    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    /// True when there is no seed.
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }

    /// Writes `seeds.hdr`, seeds in order: the same bytes as
    /// [`SeedLatencies::write_hdr`] of the same seeds.
    pub fn write_hdr(&self, mut out: impl Write) -> io::Result<()> {
        write_header(&mut out)?;
        for lines in self.seeds.values() {
            out.write_all(lines)?;
        }
        Ok(())
    }
}

/// The comment lines and column header of `seeds.hdr`.
fn write_header(mut out: impl Write) -> io::Result<()> {
    write_log_header(
        &mut out,
        "per-seed latency histograms",
        "<seed>/<all|none|fault kind>/<f>.<ok|fail|info>",
    )?;
    let mut serializer = V2DeflateSerializer::new();
    IntervalLogWriterBuilder::new()
        .with_max_value_divisor(NS_PER_MS)
        .begin_log_with(&mut out, &mut serializer)?;
    Ok(())
}

/// Seed `seed`'s histogram lines, without the log's own header lines.
fn seed_lines(seed: u64, lat: &FaultLatencies) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let mut log = IntervalLogWriterBuilder::new()
        .with_max_value_divisor(NS_PER_MS)
        .begin_log_with(&mut buf, &mut serializer)?;
    for (group, lat) in lat.iter() {
        let group = escape_tag(group).replace('/', "%2F");
        for (f, outcome, h) in lat.iter() {
            let tag = format!("{seed}/{group}/{}.{outcome}", escape_tag(f));
            let tag = Tag::new(&tag).expect("escape_tag removes what a tag forbids");
            log.write_histogram(h, Duration::ZERO, Duration::ZERO, Some(tag))
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
    }
    drop(log);
    // The writer starts every log with `#[...]` lines; only the file has them.
    let mut lines = Vec::with_capacity(buf.len());
    for line in buf.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b"#") {
            lines.extend_from_slice(line);
        }
    }
    Ok(lines)
}

/// Histograms again from buckets: each bucket's count recorded at its
/// highest equivalent value, which lands in the same bucket.
fn rebuild(buckets: &SeedBuckets) -> FaultLatencies {
    let mut out = FaultLatencies::default();
    for ((group, f, outcome), b) in buckets {
        let lat = out.group_entry(group);
        for (value, count) in b.iter() {
            lat.record_n(f, *outcome, value, count);
        }
    }
    out
}

/// Splits `<seed>/<group>/<f>.<outcome>`, undoing the escapes.
fn parse_seed_tag(tag: &str) -> Option<(u64, String, String, Outcome)> {
    let (seed, rest) = tag.split_once('/')?;
    if !seed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seed: u64 = seed.parse().ok()?;
    let (group, rest) = rest.split_once('/')?;
    let group = unescape(group)?;
    let (f, outcome) = super::parse_tag(rest)?;
    (!group.is_empty()).then_some((seed, group, f, outcome))
}

fn unescape(s: &str) -> Option<String> {
    // `parse_tag` undoes `%XX` in what precedes `.outcome`.
    super::parse_tag(&format!("{s}.ok")).map(|(g, _)| g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_reject_what_is_not_one() {
        assert_eq!(
            parse_seed_tag("17/none/read.ok"),
            Some((17, "none".into(), "read".into(), Outcome::Ok))
        );
        assert_eq!(
            parse_seed_tag("0/a%2Fb/x/y.info"),
            Some((0, "a/b".into(), "x/y".into(), Outcome::Info))
        );
        for bad in [
            "read.ok",
            "x/all/read.ok",
            "+1/all/read.ok",
            "1//read.ok",
            "1/all/read.maybe",
            "99999999999999999999/all/read.ok",
        ] {
            assert_eq!(parse_seed_tag(bad), None, "{bad}");
        }
    }

    #[test]
    fn buckets_merge_as_histograms_add() {
        let hist = |values: &[u64]| {
            let mut h = Histogram::<u64>::new(3).unwrap();
            values.iter().for_each(|&v| h.record(v).unwrap());
            h
        };
        let (a, b) = (
            hist(&[5, 1_000, 1_000, 70_000]),
            hist(&[3, 1_000, 9_000_000]),
        );
        let mut sum = a.clone();
        sum.add(&b).unwrap();
        let mut merged = Buckets::of(&a);
        merged.merge(&Buckets::of(&b));
        assert_eq!(merged, Buckets::of(&sum));
        assert_eq!(merged.len(), 7);
        let mut empty = Buckets::default();
        empty.merge(&merged);
        assert_eq!(empty, merged);
        assert!(Buckets::default().is_empty());
    }

    #[test]
    fn seed_lines_write_the_same_file_as_the_decoded_seeds() {
        let mut decoded = SeedLatencies::new();
        let mut encoded = SeedLines::new();
        for seed in [9, 2, 5] {
            let mut lat = FaultLatencies::default();
            lat.all.record("read", Outcome::Ok, 1_000_000 * seed);
            lat.all.record("write", Outcome::Info, 300_000_000);
            decoded.insert(seed, lat.clone());
            encoded.insert(seed, &lat).unwrap();
        }
        let mut bytes = Vec::new();
        encoded.write_hdr(&mut bytes).unwrap();
        assert_eq!(bytes, decoded.to_hdr());
        // Both writers share one encoder, so read the file back through
        // hdrhistogram's reader: each seed's histograms are what was
        // recorded, under its own seed.
        let back = SeedLatencies::from_hdr(&bytes, "seeds.hdr").unwrap();
        let seeds: Vec<u64> = back.seeds().collect();
        assert_eq!(seeds, [2, 5, 9]);
        for seed in [2, 5, 9] {
            assert_eq!(back.get(seed), decoded.get(seed), "seed {seed}");
        }
        assert_ne!(back.get(2), back.get(9));
        let mut again = SeedLines::new();
        again.add_hdr(&bytes, "seeds.hdr").unwrap();
        assert_eq!(again, encoded);
        assert_eq!(again.merged(), &decoded.merged());
        assert!(again.add_hdr(&bytes, "seeds.hdr").is_err(), "seeds twice");
    }
}
