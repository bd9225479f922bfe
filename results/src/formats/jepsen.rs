//! Jepsen EDN histories: one op map per form (`:type :f :value :process
//! :time :index`), optionally wrapped in one vector. Independent-key
//! histories carry `[key value]` tuples as values; Porcupine's kv logs carry
//! a `:key` instead. Both import to our events; export writes tuples.

use super::edn::{self, Edn, Reader};
use super::{excerpt, Deadline, LoadError, SINGLE_KEY};
use crate::history::{Event, EventType, FormatError, History, Process};
use serde_json::Value;

/// Reads an EDN history; returns the events and the line of each.
pub fn read(text: &str, file: &str) -> Result<(History, Vec<usize>), FormatError> {
    read_within(text, file, Deadline(None)).map_err(LoadError::into_format)
}

/// [`read`], stopping at `deadline`.
pub(crate) fn read_within(
    text: &str,
    file: &str,
    deadline: Deadline,
) -> Result<(History, Vec<usize>), LoadError> {
    let err = |line: usize, message: String| FormatError {
        file: file.to_string(),
        line,
        message,
    };
    let mut reader = Reader::new(text);
    let close = reader.enter_sequence();
    let (mut events, mut lines) = (Vec::new(), Vec::new());
    while let Some((line, form)) = reader.next_form(close).map_err(|(l, m)| err(l, m))? {
        deadline.check(events.len(), file, line)?;
        let seq = events.len() as u64;
        let event = event(&form, seq).map_err(|m| err(line, m))?;
        events.push(event);
        lines.push(line);
    }
    if close.is_some() {
        if let Some((line, _)) = reader.next_form(None).map_err(|(l, m)| err(l, m))? {
            return Err(err(
                line,
                "expected nothing after the history's closing bracket".into(),
            )
            .into());
        }
    }
    Ok((History::from_events(events), lines))
}

fn name(v: &Edn, field: &str) -> Result<String, String> {
    match v {
        Edn::Keyword(s) | Edn::Symbol(s) | Edn::Str(s) => Ok(s.clone()),
        other => Err(format!(
            "expected a keyword as :{field}, got {}",
            excerpt(&edn::write(&other.to_json()))
        )),
    }
}

fn event(form: &Edn, seq: u64) -> Result<Event, String> {
    if !matches!(form, Edn::Map(_)) {
        return Err(format!(
            "expected an op map {{:type ... :f ... :process ...}}, got {}",
            excerpt(&edn::write(&form.to_json()))
        ));
    }
    let field = |k: &str| {
        form.get(k)
            .ok_or_else(|| format!("expected a :{k} in the op map"))
    };
    let kind = match name(field("type")?, "type")?.as_str() {
        "invoke" => EventType::Invoke,
        "ok" => EventType::Ok,
        "fail" => EventType::Fail,
        "info" => EventType::Info,
        t => {
            return Err(format!(
                "expected :type :invoke, :ok, :fail or :info, got :{}",
                excerpt(t)
            ))
        }
    };
    let process = match field("process")? {
        Edn::Int(n) if *n >= 0 => Process::Client(*n as u64),
        Edn::Keyword(k) if k == "nemesis" => Process::Nemesis,
        other => {
            return Err(format!(
                "expected a non-negative integer or :nemesis as :process, got {}",
                excerpt(&edn::write(&other.to_json()))
            ))
        }
    };
    let f = name(field("f")?, "f")?;
    let number = |k: &str| match form.get(k) {
        Some(Edn::Int(n)) if *n >= 0 => Ok(Some(*n as u64)),
        None | Some(Edn::Nil) => Ok(None),
        Some(other) => Err(format!(
            "expected a non-negative integer as :{k}, got {}",
            excerpt(&edn::write(&other.to_json()))
        )),
    };
    let (index, time) = (
        number("index")?.unwrap_or(seq),
        number("time")?.unwrap_or(seq),
    );
    let value = form.get("value").unwrap_or(&Edn::Nil);
    let (key, value) = match (process, form.get("key")) {
        (Process::Nemesis, _) => (None, value.to_json()),
        (_, Some(k)) => (Some(key_text(k)), value.to_json()),
        (_, None) => match value {
            // A tuple [key value]; but a cas's own value [old new] is no
            // tuple, nor is a two-step txn [[f k v] [f k v]] (a key is no
            // sequence).
            Edn::Seq(kv)
                if kv.len() == 2
                    && (f != "cas" || matches!(kv[1], Edn::Seq(_)))
                    && (f != "txn" || !matches!(kv[0], Edn::Seq(_))) =>
            {
                (Some(key_text(&kv[0])), kv[1].to_json())
            }
            _ => (Some(SINGLE_KEY.to_string()), value.to_json()),
        },
    };
    let error = form.get("error").map(|e| match e {
        Edn::Keyword(s) | Edn::Str(s) => s.clone(),
        other => excerpt(&edn::write(&other.to_json())),
    });
    Ok(Event {
        index,
        time,
        process,
        kind,
        f,
        key,
        value,
        error,
        node: None,
    })
}

fn key_text(k: &Edn) -> String {
    match k {
        Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => s.clone(),
        other => excerpt(&edn::write(&other.to_json())),
    }
}

/// Writes `history` as EDN, one op map per line, keys as `[key value]`
/// tuples (Jepsen's independent-key form), so Knossos or Elle can read it.
pub fn write(history: &History) -> String {
    let mut out = String::new();
    for e in history.events() {
        let process = match e.process {
            Process::Client(n) => n.to_string(),
            Process::Nemesis => ":nemesis".to_string(),
        };
        let kind = match e.kind {
            EventType::Invoke => "invoke",
            EventType::Ok => "ok",
            EventType::Fail => "fail",
            EventType::Info => "info",
        };
        let f = if edn::is_name(&e.f) {
            format!(":{}", e.f)
        } else {
            edn::write(&Value::String(e.f.clone()))
        };
        let value = match &e.key {
            Some(k) => format!(
                "[{} {}]",
                edn::write(&Value::String(k.clone())),
                edn::write(&e.value)
            ),
            None => edn::write(&e.value),
        };
        out.push_str(&format!(
            "{{:index {}, :time {}, :process {process}, :type :{kind}, :f {f}, :value {value}",
            e.index, e.time
        ));
        if let Some(err) = &e.error {
            out.push_str(&format!(
                ", :error {}",
                edn::write(&Value::String(err.clone()))
            ));
        }
        out.push_str("}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn independent_tuples_become_keys() {
        let text = "[{:type :invoke, :f :cas, :value [0 [1 2]], :process 0, :time 5, :index 0}\n {:type :fail, :f :cas, :value [0 [1 2]], :process 0, :index 1, :error :cas-mismatch}\n {:type :invoke, :f :cas, :value [3 4], :process 1}\n {:type :info, :f :start, :value nil, :process :nemesis}]";
        let (h, lines) = read(text, "h.edn").unwrap();
        let e = h.events();
        assert_eq!(
            (e[0].key.as_deref(), &e[0].value, e[0].time),
            (Some("0"), &json!([1, 2]), 5)
        );
        assert_eq!(e[1].error.as_deref(), Some("cas-mismatch"));
        assert_eq!(
            (e[2].key.as_deref(), &e[2].value),
            (Some(SINGLE_KEY), &json!([3, 4]))
        );
        assert_eq!(
            (e[3].process, e[3].key.as_deref()),
            (Process::Nemesis, None)
        );
        assert_eq!(lines, [1, 2, 3, 4]);
    }

    #[test]
    fn bad_ops_name_the_line() {
        let err = read(
            "{:type :invoke, :f :read, :process 0}\n{:type :done, :f :read, :process 0}",
            "h.edn",
        )
        .unwrap_err();
        assert_eq!((err.line, err.file.as_str()), (2, "h.edn"));
        assert!(
            err.message.contains(":invoke, :ok, :fail or :info"),
            "{err}"
        );
        let err = read("{:type :ok, :f :read, :process -1}", "h.edn").unwrap_err();
        assert!(err.message.contains(":process"), "{err}");
    }

    #[test]
    fn export_then_import_is_the_identity() {
        let mut h = History::new();
        h.push(
            10,
            Event::invoke(Process::Client(2), "cas", "x", json!([1, 2])),
        );
        h.push(
            20,
            Event::nemesis("pause-start", json!({"node": "n2", "ms": 800})),
        );
        h.push(
            30,
            Event::fail(
                Process::Client(2),
                "cas",
                "x",
                json!([1, 2]),
                "cas-mismatch",
            ),
        );
        h.push(
            40,
            Event::invoke(Process::Client(3), "read", "y z", Value::Null),
        );
        h.push(50, Event::ok(Process::Client(3), "read", "y z", json!(7)));
        let text = write(&h);
        assert!(
            text.starts_with(
                "{:index 0, :time 10, :process 2, :type :invoke, :f :cas, :value [\"x\" [1 2]]}\n"
            ),
            "{text}"
        );
        assert_eq!(read(&text, "h.edn").unwrap().0, h);
    }
}
