//! Reading CloudTrail log files as AWS writes them (`{"Records":[...]}`) as
//! a stream: each record becomes an [`Event`], the facts Muster keeps of an
//! API call (who, what, on what, from where, with which client, how it
//! went). Nothing in a CloudTrail record is a secret (an access key id names
//! a key, it does not open it), but request and response bodies are not
//! kept: they are skipped unread.

use std::io::Read;

use chrono::{DateTime, Utc};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::scanners::{ParseError, scrub};

/// One API call, as Muster records it (and stages, [`super::staged`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// CloudTrail's id of the event (unique): the same event imported twice is recorded once.
    pub event_id: String,
    /// When the call was made.
    pub occurred_at: DateTime<Utc>,
    /// `service:Name`, e.g. `s3:GetObject`, `signin:ConsoleLogin`.
    pub action: String,
    /// The access key that signed the call, if any.
    pub access_key_id: Option<String>,
    /// The principals behind the call, most specific first: the role a
    /// session was issued by, then the identity's own ARN.
    pub principals: Vec<String>,
    /// Where the call came from (an address, or an AWS service's name).
    pub source_address: Option<String>,
    /// The caller's client.
    pub user_agent: Option<String>,
    /// Whether it failed (`errorCode` is set).
    pub failed: bool,
    /// The resource acted on (the first ARN in `resources`), if named.
    pub resource: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    #[serde(rename = "eventID")]
    event_id: String,
    event_time: String,
    event_source: String,
    event_name: String,
    #[serde(default)]
    user_identity: Option<UserIdentity>,
    #[serde(default, rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    resources: Option<Vec<RawResource>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity {
    #[serde(default)]
    arn: Option<String>,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    session_context: Option<SessionContext>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext {
    #[serde(default)]
    session_issuer: Option<SessionIssuer>,
}

#[derive(Deserialize)]
struct SessionIssuer {
    #[serde(default)]
    arn: Option<String>,
}

#[derive(Deserialize)]
struct RawResource {
    #[serde(default, rename = "ARN")]
    arn: Option<String>,
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

impl RawEvent {
    fn into_event(self) -> Result<Event, String> {
        let occurred_at = DateTime::parse_from_rfc3339(&self.event_time)
            .map_err(|e| format!("eventTime {:?} is not a time: {e}", self.event_time))?
            .with_timezone(&Utc);
        if self.event_id.trim().is_empty() {
            return Err("eventID is empty".into());
        }
        let service = self
            .event_source
            .strip_suffix(".amazonaws.com")
            .unwrap_or(&self.event_source);
        let (access_key_id, principals) = match self.user_identity {
            Some(identity) => {
                let issuer = identity
                    .session_context
                    .and_then(|c| c.session_issuer)
                    .and_then(|i| non_empty(i.arn));
                let principals = issuer.into_iter().chain(non_empty(identity.arn)).collect();
                (non_empty(identity.access_key_id), principals)
            }
            None => (None, Vec::new()),
        };
        Ok(Event {
            event_id: self.event_id,
            occurred_at,
            action: format!("{service}:{}", self.event_name),
            access_key_id,
            principals,
            source_address: non_empty(self.source_ip_address),
            user_agent: non_empty(self.user_agent).map(|ua| ua.chars().take(500).collect()),
            failed: non_empty(self.error_code).is_some(),
            resource: self
                .resources
                .unwrap_or_default()
                .into_iter()
                .find_map(|r| non_empty(r.arn)),
        })
    }
}

/// A log up to this size (unpacked) is parsed from memory, a few times
/// faster than from a stream; a larger one is streamed, so that memory stays
/// bounded whatever the file. CloudTrail's own files are far smaller.
const IN_MEMORY: u64 = 64 << 20;

/// Reads a CloudTrail log file (`{"Records":[...]}`), one record at a time;
/// `each` returns false to stop early. Answers the records read.
pub fn read(mut reader: impl Read, mut each: impl FnMut(Event) -> bool) -> Result<u64, ParseError> {
    let mut head = Vec::new();
    reader
        .by_ref()
        .take(IN_MEMORY + 1)
        .read_to_end(&mut head)
        .map_err(|e| ParseError(scrub(&e.to_string())))?;
    if head.len() as u64 <= IN_MEMORY {
        parse(serde_json::Deserializer::from_slice(&head), &mut each)
    } else {
        let rest = std::io::BufReader::new(std::io::Cursor::new(head).chain(reader));
        parse(serde_json::Deserializer::from_reader(rest), &mut each)
    }
}

/// Reads a log from `deserializer`, handing each record to `each`.
fn parse<'de, R: serde_json::de::Read<'de>>(
    mut deserializer: serde_json::Deserializer<R>,
    mut each: impl FnMut(Event) -> bool,
) -> Result<u64, ParseError> {
    struct Log<'a, F>(&'a mut F);
    impl<'de, F: FnMut(Event) -> bool> Visitor<'de> for Log<'_, F> {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a CloudTrail log: an object with a \"Records\" array")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
            let mut count = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "Records" && count.is_none() {
                    count = Some(map.next_value_seed(Records(&mut *self.0))?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            count.ok_or_else(|| serde::de::Error::custom("no \"Records\" array: not a CloudTrail log"))
        }
    }

    struct Records<'a, F>(&'a mut F);
    impl<'de, F: FnMut(Event) -> bool> DeserializeSeed<'de> for Records<'_, F> {
        type Value = u64;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
            deserializer.deserialize_seq(self)
        }
    }
    impl<'de, F: FnMut(Event) -> bool> Visitor<'de> for Records<'_, F> {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of CloudTrail records")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            let mut count = 0_u64;
            let mut stopped = false;
            loop {
                let record = seq.next_element::<RawEvent>().map_err(|e| {
                    serde::de::Error::custom(format!("record {}: {}", count + 1, scrub(&e.to_string())))
                })?;
                let Some(record) = record else { return Ok(count) };
                count += 1;
                if stopped {
                    continue;
                }
                let event = record
                    .into_event()
                    .map_err(|e| serde::de::Error::custom(format!("record {count}: {e}")))?;
                stopped = !(self.0)(event);
            }
        }
    }

    let count = serde::Deserializer::deserialize_map(&mut deserializer, Log(&mut each))
        .map_err(|e| ParseError(scrub(&e.to_string())))?;
    deserializer
        .end()
        .map_err(|e| ParseError(format!("after the log: {}", scrub(&e.to_string()))))?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Result<Vec<Event>, ParseError> {
        let mut events = Vec::new();
        read(text.as_bytes(), |e| {
            events.push(e);
            true
        })?;
        Ok(events)
    }

    #[test]
    fn a_record_names_its_key_role_action_and_resource() {
        let log = r#"{"Records":[{"eventVersion":"1.09","eventID":"e1","eventTime":"2026-11-02T10:00:00Z",
            "eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/ci/x","accessKeyId":"ASIAX",
              "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/ci"}}},
            "sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15","requestParameters":{"bucketName":"b"},
            "resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"}],"readOnly":true}]}"#;
        let events = events(log).unwrap();
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.action, "s3:GetObject");
        assert_eq!(event.access_key_id.as_deref(), Some("ASIAX"));
        assert_eq!(
            event.principals,
            ["arn:aws:iam::1:role/ci", "arn:aws:sts::1:assumed-role/ci/x"]
        );
        assert_eq!(event.resource.as_deref(), Some("arn:aws:s3:::b/k"));
        assert!(!event.failed);
    }

    #[test]
    fn bad_logs_say_which_record_and_what() {
        let missing = events(r#"{"Records":[{"eventID":"e1","eventTime":"2026-11-02T10:00:00Z"}]}"#);
        assert!(
            missing
                .unwrap_err()
                .0
                .contains("record 1: missing field `eventSource`")
        );
        let time = events(
            r#"{"Records":[{"eventID":"e","eventTime":"yesterday","eventSource":"s3","eventName":"x"}]}"#,
        );
        assert!(time.unwrap_err().0.contains("record 1: eventTime"));
        let not_a_log = events("[]").unwrap_err().0;
        assert!(not_a_log.contains("CloudTrail log"), "{not_a_log}");
        let no_records = events(r#"{"foo": 1}"#).unwrap_err().0;
        assert!(no_records.contains("no \"Records\""), "{no_records}");
    }
}
