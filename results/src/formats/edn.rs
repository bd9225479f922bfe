//! A small reader and writer for EDN, the data notation Jepsen histories
//! are written in: enough of it for histories (nil, booleans, numbers,
//! strings, characters, keywords, symbols, vectors, lists, maps, sets, tags
//! and `#_` discards).

use serde_json::{Map, Number, Value};

/// One EDN value.
#[derive(Clone, Debug, PartialEq)]
pub enum Edn {
    /// `nil`
    Nil,
    /// `true`, `false`
    Bool(bool),
    /// An integer (`12`, `-3`, `7N`).
    Int(i64),
    /// A float (`1.5`, `2e3`, `1.0M`).
    Float(f64),
    /// A string.
    Str(String),
    /// A character (`\a`, `\newline`).
    Char(char),
    /// A keyword, without its colon.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// `[...]`, `(...)` or `#{...}`.
    Seq(Vec<Edn>),
    /// `{...}`, as key-value pairs in order.
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    /// The value under keyword `:name` in a map.
    pub fn get(&self, name: &str) -> Option<&Edn> {
        match self {
            Edn::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(n) if n == name))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The JSON form: keywords and symbols become strings, sequences arrays,
    /// maps objects (keyword keys lose their colon).
    pub fn to_json(&self) -> Value {
        match self {
            Edn::Nil => Value::Null,
            Edn::Bool(b) => Value::Bool(*b),
            Edn::Int(n) => Value::from(*n),
            Edn::Float(x) => Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Value::String(s.clone()),
            Edn::Char(c) => Value::String(c.to_string()),
            Edn::Seq(items) => Value::Array(items.iter().map(Edn::to_json).collect()),
            Edn::Map(pairs) => {
                let mut m = Map::new();
                for (k, v) in pairs {
                    let key = match k {
                        Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => s.clone(),
                        other => write(&other.to_json()),
                    };
                    m.insert(key, v.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

/// Reads EDN forms one after another, tracking line numbers.
pub struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    /// Forms open around the one being read.
    depth: usize,
}

/// The deepest nesting read (a history needs a handful of levels; each
/// level costs a few hundred bytes of stack, so this stays far below the
/// 2 MiB of a spawned thread's stack).
pub const DEPTH_MAX: usize = 500;

/// A reader error: the 1-based line and what was expected.
pub type ReadError = (usize, String);

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b',' | b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'"' | b';'
        )
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Reader {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
            depth: 0,
        }
    }

    /// The current 1-based line.
    pub fn line(&self) -> usize {
        self.line
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// Skips whitespace, commas and comments; returns the next byte.
    pub fn skip_space(&mut self) -> Option<u8> {
        loop {
            match self.peek()? {
                b if b.is_ascii_whitespace() || b == b',' => {
                    self.bump();
                }
                b';' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.bump();
                    }
                }
                b => return Some(b),
            }
        }
    }

    /// If the next form opens a vector or list, consumes the opening bracket
    /// and returns its closing one.
    pub fn enter_sequence(&mut self) -> Option<u8> {
        let close = match self.skip_space()? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.bump();
        Some(close)
    }

    /// The next form and the line it starts on; `None` at the end of the
    /// text or at `close` (which is consumed).
    pub fn next_form(&mut self, close: Option<u8>) -> Result<Option<(usize, Edn)>, ReadError> {
        loop {
            let Some(b) = self.skip_space() else {
                return match close {
                    None => Ok(None),
                    Some(c) => Err((
                        self.line,
                        format!("expected '{}' before the end of the text", c as char),
                    )),
                };
            };
            if Some(b) == close {
                self.bump();
                return Ok(None);
            }
            let line = self.line;
            if let Some(form) = self.form()? {
                return Ok(Some((line, form)));
            }
        }
    }

    fn seq(&mut self, close: u8) -> Result<Vec<Edn>, ReadError> {
        let mut items = Vec::new();
        while let Some((_, f)) = self.next_form(Some(close))? {
            items.push(f);
        }
        Ok(items)
    }

    /// One form; `None` for a `#_` discard. Nesting (of collections, tags
    /// and discards alike) is bounded by `DEPTH_MAX`, so a hostile file
    /// gets an error, not a stack overflow.
    fn form(&mut self) -> Result<Option<Edn>, ReadError> {
        if self.depth >= DEPTH_MAX {
            return Err((
                self.line,
                format!("expected at most {DEPTH_MAX} levels of nesting (collections, #tags and #_ discards)"),
            ));
        }
        self.depth += 1;
        let form = self.form_inner();
        self.depth -= 1;
        form
    }

    fn form_inner(&mut self) -> Result<Option<Edn>, ReadError> {
        let line = self.line;
        let b = self.bump().ok_or((line, "expected a value".to_string()))?;
        let form = match b {
            b'[' | b'(' => Edn::Seq(self.seq(if b == b'[' { b']' } else { b')' })?),
            b'{' => {
                let items = self.seq(b'}')?;
                if items.len() % 2 != 0 {
                    return Err((line, "expected a map with an even number of forms".into()));
                }
                let mut it = items.into_iter();
                let mut pairs = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Edn::Map(pairs)
            }
            b'"' => Edn::Str(self.string()?),
            b'\\' => Edn::Char(self.character()?),
            b'#' => return self.dispatch(),
            b']' | b')' | b'}' => return Err((line, format!("unexpected '{}'", b as char))),
            _ => {
                let start = self.pos - 1;
                while self.peek().is_some_and(|b| !is_delimiter(b)) {
                    self.bump();
                }
                let token = std::str::from_utf8(&self.text[start..self.pos])
                    .expect("ASCII delimiters split UTF-8 safely");
                atom(token).map_err(|e| (line, e))?
            }
        };
        Ok(Some(form))
    }

    fn dispatch(&mut self) -> Result<Option<Edn>, ReadError> {
        let line = self.line;
        match self.peek() {
            Some(b'{') => {
                self.bump();
                Ok(Some(Edn::Seq(self.seq(b'}')?)))
            }
            Some(b'_') => {
                self.bump();
                self.next_form(None)?;
                Ok(None)
            }
            Some(_) => {
                // A tag such as #inst or #jepsen.history.Op: keep the value.
                while self.peek().is_some_and(|b| !is_delimiter(b)) {
                    self.bump();
                }
                match self.next_form(None)? {
                    Some((_, f)) => Ok(Some(f)),
                    None => Err((line, "expected a value after a tag".into())),
                }
            }
            None => Err((line, "expected a value after '#'".into())),
        }
    }

    fn string(&mut self) -> Result<String, ReadError> {
        let line = self.line;
        let mut out = Vec::new();
        loop {
            match self
                .bump()
                .ok_or((line, "expected a closing '\"'".to_string()))?
            {
                b'"' => break,
                b'\\' => {
                    let c = self
                        .bump()
                        .ok_or((line, "expected an escape".to_string()))?;
                    match c {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' => {
                            let hex = self
                                .text
                                .get(self.pos..self.pos + 4)
                                .ok_or((line, "expected \\uXXXX".to_string()))?;
                            let code = std::str::from_utf8(hex)
                                .ok()
                                .and_then(|h| u32::from_str_radix(h, 16).ok());
                            let ch = code
                                .and_then(char::from_u32)
                                .ok_or((line, "expected \\uXXXX".to_string()))?;
                            self.pos += 4;
                            out.extend_from_slice(ch.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                b => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| (line, "expected UTF-8 text in a string".into()))
    }

    fn character(&mut self) -> Result<char, ReadError> {
        let line = self.line;
        let start = self.pos;
        self.bump();
        while self.peek().is_some_and(|b| !is_delimiter(b)) {
            self.bump();
        }
        let token = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
        match token {
            "newline" => Ok('\n'),
            "space" => Ok(' '),
            "tab" => Ok('\t'),
            "return" => Ok('\r'),
            t if t.chars().count() == 1 => Ok(t.chars().next().expect("one char")),
            t => Err((
                line,
                format!(
                    "expected a character after '\\', got {:?}",
                    super::excerpt(t)
                ),
            )),
        }
    }
}

fn atom(token: &str) -> Result<Edn, String> {
    Ok(match token {
        "nil" => Edn::Nil,
        "true" => Edn::Bool(true),
        "false" => Edn::Bool(false),
        t if t.starts_with(':') && t.len() > 1 => Edn::Keyword(t[1..].to_string()),
        t if t.starts_with(|c: char| c.is_ascii_digit())
            || (t.len() > 1
                && t.starts_with(['-', '+'])
                && t[1..].starts_with(|c: char| c.is_ascii_digit())) =>
        {
            let digits = t.trim_end_matches('N');
            if let Ok(n) = digits.parse::<i64>() {
                Edn::Int(n)
            } else {
                Edn::Float(
                    t.trim_end_matches('M')
                        .parse::<f64>()
                        .map_err(|_| format!("expected a number, got {:?}", super::excerpt(t)))?,
                )
            }
        }
        t => Edn::Symbol(t.to_string()),
    })
}

/// Writes a JSON value as EDN: objects become maps with keyword keys (when
/// the key is a plain name) and arrays vectors.
pub fn write(v: &Value) -> String {
    let mut out = String::new();
    write_into(v, &mut out);
    out
}

/// True when `s` can be written as a keyword or symbol name.
pub fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_?!*.+/<>=".contains(c))
}

fn write_into(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&serde_json::to_string(s).expect("strings serialize")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_into(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if is_name(k) {
                    out.push(':');
                    out.push_str(k);
                } else {
                    write_into(&Value::String(k.clone()), out);
                }
                out.push(' ');
                write_into(v, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_all(text: &str) -> Result<Vec<(usize, Edn)>, ReadError> {
        let mut r = Reader::new(text);
        let mut out = Vec::new();
        while let Some(f) = r.next_form(None)? {
            out.push(f);
        }
        Ok(out)
    }

    #[test]
    fn reads_history_maps() {
        let text = "{:type :invoke, :f :cas, :value [1 2], :process 3, :time 12N}\n\n; comment\n{:type :ok :value \"a\\\"b\" :x #{1} :y #_ 5 \\c :z 1.5}";
        let forms = read_all(text).unwrap();
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[1].0, 4);
        assert_eq!(forms[0].1.get("f"), Some(&Edn::Keyword("cas".into())));
        assert_eq!(forms[0].1.get("value").unwrap().to_json(), json!([1, 2]));
        assert_eq!(forms[0].1.get("time"), Some(&Edn::Int(12)));
        assert_eq!(forms[1].1.get("value"), Some(&Edn::Str("a\"b".into())));
        assert_eq!(forms[1].1.get("y"), Some(&Edn::Char('c')));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(read_all("{:a 1}\n{:a").unwrap_err().0, 2);
        assert_eq!(
            read_all("\n\n{:a 1 :b}").unwrap_err(),
            (3, "expected a map with an even number of forms".into())
        );
        assert!(read_all("]").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}1{}", "[".repeat(14_000), "]".repeat(14_000));
        let tags = format!("{}1", "#_ 0 #t ".repeat(30_000));
        let discards = format!("{}1", "#_ ".repeat(30_000));
        for text in [deep, tags, discards] {
            let (line, message) = read_all(&text).unwrap_err();
            assert_eq!(line, 1);
            assert!(message.contains("levels of nesting"), "{message}");
        }
        let fine = format!(
            "{}1{}",
            "[".repeat(DEPTH_MAX - 1),
            "]".repeat(DEPTH_MAX - 1)
        );
        assert!(read_all(&fine).is_ok());
    }

    #[test]
    fn writes_json_as_edn() {
        let v = json!({"node": "n2", "ms": 800, "odd key": [null, true, -1.5]});
        assert_eq!(
            write(&v),
            r#"{:ms 800, :node "n2", "odd key" [nil true -1.5]}"#
        );
        let back = read_all(&write(&v)).unwrap();
        assert_eq!(back[0].1.to_json(), v);
    }
}
