//! Activity imports and behaviour baselines. CloudTrail events become
//! activity on the credential that made them (by access key id, else by the
//! role a session was issued by); each new event extends its credential's
//! baseline (actions, resources, source networks, user agents, and events
//! per hour), and an event outside an established baseline raises a
//! finding: a new resource, a new source network, a rate spike, human use
//! (a console sign-in or a browser), or a laptop acting on production.
//!
//! A baseline is *established* once the credential has been seen for
//! [`LEARNING_DAYS`]: before that everything it does is learned silently.
//! Human use and laptop-against-production are never normal, and are raised
//! from the first event. Each finding is raised once per credential, kind
//! and value (the network, the resource, the hour).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Timelike, Utc};
use model::api::{BaselineDimension, BehaviourFindingKind, Environment};
use sqlx::AnyConnection;

use super::cloudtrail::Event;
use crate::arn::{resource_key, resource_names};
use crate::db::Backend;
use crate::db::behaviour::{self, NamedResource, NewFinding, Observed};
use crate::db::iam;
use crate::db::sql::{Value, timestamp};

/// Days a credential is watched before what it does differently is a finding.
pub const LEARNING_DAYS: i64 = 7;
/// Active hours of history needed before a spike can be judged.
pub const SPIKE_HISTORY_HOURS: usize = 24;
/// An hour is a spike at this many times the usual rate...
pub const SPIKE_FACTOR: i64 = 5;
/// ...and at least this many events.
pub const SPIKE_MIN_EVENTS: i64 = 20;
/// Events written per batch (a few statements).
const BATCH: usize = 2000;
/// Distinct unknown keys and roles named in an import's summary.
const UNMATCHED_SHOWN: usize = 10;

/// The network an address belongs to, as baselines record it: an IPv4
/// /24, an IPv6 /48, or (for a call made by an AWS service on the
/// credential's behalf) the service's name. `None` for a service: a new one
/// is not a new way in.
pub fn network(address: &str) -> (String, bool) {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            (format!("{a}.{b}.{c}.0/24"), true)
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            (format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]), true)
        }
        Err(_) => (address.to_owned(), false),
    }
}

/// What in a user agent says the call came from a person's laptop: a
/// desktop operating system (the AWS CLI and SDKs name it) or a coding
/// agent or IDE.
pub fn laptop_marker(user_agent: &str) -> Option<&'static str> {
    let ua = user_agent.to_ascii_lowercase();
    [
        ("darwin/", "macOS"),
        ("os#macos", "macOS"),
        ("windows_nt", "Windows"),
        ("os#windows", "Windows"),
        ("cursor", "Cursor"),
        ("claude-code", "Claude Code"),
        ("windsurf", "Windsurf"),
        ("vscode", "VS Code"),
        ("jetbrains", "JetBrains"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, label)| label)
}

/// Whether an event is a person's: `Some("console sign-in")` or `Some("browser")`.
pub fn human(action: &str, user_agent: Option<&str>) -> Option<&'static str> {
    if action == "signin:ConsoleLogin" {
        Some("console sign-in")
    } else if user_agent.is_some_and(|ua| ua.starts_with("Mozilla/")) {
        Some("browser")
    } else {
        None
    }
}

/// The hour an event falls in, as the roll-up stores it.
fn hour_of(time: DateTime<Utc>) -> String {
    let hour = time
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(time);
    timestamp(hour)
}

/// What is known of a credential's baseline during an import.
struct Baseline {
    /// When it was first seen (none before its first event).
    since: Option<DateTime<Utc>>,
    /// Its latest event recorded so far (by earlier imports or this one's
    /// earlier batches): only an event at or before it may be recorded already.
    until: Option<DateTime<Utc>>,
    /// The values it has used.
    known: HashSet<(BaselineDimension, String)>,
}

impl Baseline {
    /// Widens the span of its use to take in `first` to `last`.
    fn seen(&mut self, first: DateTime<Utc>, last: DateTime<Utc>) {
        self.since = Some(self.since.map_or(first, |s| s.min(first)));
        self.until = Some(self.until.map_or(last, |u| u.max(last)));
    }

    fn established_at(&self, time: DateTime<Utc>) -> bool {
        self.since
            .is_some_and(|since| time - since >= Duration::days(LEARNING_DAYS))
    }
}

/// An event whose credential is known, waiting to be written.
struct Pending {
    credential: i64,
    resource: Option<NamedResource>,
    event: Event,
}

/// What an activity import counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Events read.
    pub events: i64,
    /// Events recorded for the first time.
    pub recorded: i64,
    /// Events of unknown keys and roles.
    pub unmatched: i64,
    /// The first unknown keys and roles.
    pub unmatched_principals: Vec<String>,
    /// Findings raised.
    pub findings: i64,
}

/// Records an import's events and learns from them, in the import's
/// transaction. Memory grows with the distinct credentials, values and
/// hours seen, not with the events.
pub struct Recorder {
    backend: Backend,
    import: i64,
    now: DateTime<Utc>,
    pending: Vec<Pending>,
    credentials: HashMap<String, Option<i64>>,
    resources: HashMap<String, Option<NamedResource>>,
    baselines: HashMap<i64, Baseline>,
    seen: HashMap<(i64, &'static str, String), Observed>,
    /// The last event id before this import's (its events come after).
    after: Option<i64>,
    touched_hours: HashMap<i64, BTreeSet<String>>,
    last_used: HashMap<i64, DateTime<Utc>>,
    findings: Vec<NewFinding>,
    raised: HashSet<(i64, BehaviourFindingKind, String)>,
    unmatched: BTreeSet<String>,
    counts: Counts,
}

impl Recorder {
    /// A recorder for import `import`.
    pub fn new(backend: Backend, import: i64, now: DateTime<Utc>) -> Self {
        Self {
            backend,
            import,
            now,
            pending: Vec::new(),
            credentials: HashMap::new(),
            resources: HashMap::new(),
            baselines: HashMap::new(),
            seen: HashMap::new(),
            after: None,
            touched_hours: HashMap::new(),
            last_used: HashMap::new(),
            findings: Vec::new(),
            raised: HashSet::new(),
            unmatched: BTreeSet::new(),
            counts: Counts::default(),
        }
    }

    async fn credential(
        &mut self,
        conn: &mut AnyConnection,
        event: &Event,
    ) -> Result<Option<i64>, sqlx::Error> {
        for name in event.access_key_id.iter().chain(&event.principals) {
            let found = match self.credentials.get(name) {
                Some(found) => *found,
                None => {
                    let found = behaviour::aws_credential(conn, name).await?;
                    self.credentials.insert(name.clone(), found);
                    found
                }
            };
            if found.is_some() {
                return Ok(found);
            }
        }
        // A key the inventory knows only by its slot in a credential report:
        // the user's one active key, if it has one.
        for arn in event.principals.iter().filter(|a| a.contains(":user/")) {
            let key = format!("user-key {arn}");
            let found = match self.credentials.get(&key) {
                Some(found) => *found,
                None => {
                    let found = iam::only_active_key(conn, arn).await?;
                    self.credentials.insert(key, found);
                    found
                }
            };
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// The inventory's resource an ARN names, looked up once per resource:
    /// by its [`resource_key`] (an S3 object's bucket), so that a million
    /// objects of one bucket cost one query, not a million.
    async fn resource(
        &mut self,
        conn: &mut AnyConnection,
        arn: &str,
    ) -> Result<Option<NamedResource>, sqlx::Error> {
        let key = resource_key(arn);
        if let Some(found) = self.resources.get(&key) {
            return Ok(found.clone());
        }
        let found = behaviour::resource_named(conn, &resource_names(&key)).await?;
        self.resources.insert(key, found.clone());
        Ok(found)
    }

    /// Takes one event: recorded on its credential, or counted as unmatched.
    pub async fn add(&mut self, conn: &mut AnyConnection, event: Event) -> Result<(), sqlx::Error> {
        self.counts.events += 1;
        let Some(credential) = self.credential(conn, &event).await? else {
            self.counts.unmatched += 1;
            if self.unmatched.len() < UNMATCHED_SHOWN
                && let Some(name) = event.access_key_id.iter().chain(&event.principals).next()
            {
                self.unmatched.insert(name.clone());
            }
            return Ok(());
        };
        self.push(conn, credential, event).await
    }

    /// Takes one event whose credential the caller found (a platform's
    /// token or grant), or counts it as unmatched, named `unmatched`.
    pub async fn add_for(
        &mut self,
        conn: &mut AnyConnection,
        credential: Option<i64>,
        event: Event,
        unmatched: &str,
    ) -> Result<(), sqlx::Error> {
        self.counts.events += 1;
        let Some(credential) = credential else {
            self.counts.unmatched += 1;
            if self.unmatched.len() < UNMATCHED_SHOWN {
                self.unmatched.insert(unmatched.to_owned());
            }
            return Ok(());
        };
        self.push(conn, credential, event).await
    }

    /// Queues an event of a known credential, writing a batch when full.
    async fn push(
        &mut self,
        conn: &mut AnyConnection,
        credential: i64,
        event: Event,
    ) -> Result<(), sqlx::Error> {
        let resource = match &event.resource {
            Some(arn) => self.resource(conn, arn).await?,
            None => None,
        };
        self.pending.push(Pending {
            credential,
            resource,
            event,
        });
        if self.pending.len() >= BATCH {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Writes the pending events; those not recorded before extend their
    /// credential's baseline, in the order they happened.
    async fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let mut pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        pending.sort_by_key(|p| p.event.occurred_at);
        if self.after.is_none() {
            self.after = Some(behaviour::last_event_id(conn).await?);
        }
        self.load_baselines(conn, &pending).await?;
        // Only events not recorded before (by an earlier import, or earlier
        // in this one: CloudTrail may deliver an event twice) are new. An
        // event after its credential's latest recorded one cannot be, so only
        // the others are looked up: a log read for the first time, in time
        // order, costs no lookup at all.
        let doubtful: Vec<&str> = pending
            .iter()
            .filter(|p| {
                self.baselines[&p.credential]
                    .until
                    .is_some_and(|until| p.event.occurred_at <= until)
            })
            .map(|p| p.event.event_id.as_str())
            .collect();
        let mut seen: HashSet<String> = behaviour::recorded_events(conn, self.backend, &doubtful)
            .await?
            .into_iter()
            .collect();
        pending.retain(|p| seen.insert(p.event.event_id.clone()));
        let mut rows = Vec::with_capacity(pending.len() * behaviour::EVENT_COLUMNS.len());
        for p in &pending {
            let e = &p.event;
            rows.extend([
                Value::Int(p.credential),
                timestamp(e.occurred_at).into(),
                e.action.clone().into(),
                p.resource.as_ref().map(|r| r.id).into(),
                e.source_address.clone().into(),
                e.user_agent.clone().into(),
                if e.failed { "failure" } else { "success" }.into(),
                e.event_id.clone().into(),
                Value::Int(self.import),
            ]);
        }
        // The database writes the batch (on its own thread, for SQLite) while
        // this one learns from it: learning does not depend on the write.
        let backend = self.backend;
        let (inserted, ()) = futures::join!(behaviour::insert_events(conn, backend, &rows), async {
            for p in pending {
                self.observe(p);
            }
        });
        self.counts.recorded += inserted? as i64;
        Ok(())
    }

    /// Reads the baselines of the credentials of `pending` not seen yet in
    /// this import, in one query.
    async fn load_baselines(
        &mut self,
        conn: &mut AnyConnection,
        pending: &[Pending],
    ) -> Result<(), sqlx::Error> {
        let mut unseen: Vec<i64> = pending
            .iter()
            .map(|p| p.credential)
            .filter(|c| !self.baselines.contains_key(c))
            .collect();
        unseen.sort_unstable();
        unseen.dedup();
        for credential in &unseen {
            self.baselines.insert(
                *credential,
                Baseline {
                    since: None,
                    until: None,
                    known: HashSet::new(),
                },
            );
        }
        for value in behaviour::baselines(conn, self.backend, &unseen).await? {
            let baseline = self.baselines.get_mut(&value.credential).expect("added above");
            if let Ok(dimension) = value.dimension.parse() {
                baseline.known.insert((dimension, value.value));
            }
            baseline.seen(value.first_seen, value.last_seen);
        }
        Ok(())
    }

    /// Learns from one new event (its credential's baseline loaded),
    /// raising what falls outside the baseline.
    fn observe(&mut self, p: Pending) {
        let Pending {
            credential,
            resource,
            event,
        } = p;
        let at = event.occurred_at;
        let resource_name = resource
            .as_ref()
            .map(|r| r.name.clone())
            .or_else(|| event.resource.as_deref().map(resource_key));
        let (network, is_address) = match &event.source_address {
            Some(address) => {
                let (network, is_address) = network(address);
                (Some(network), is_address)
            }
            None => (None, false),
        };
        let from = event
            .source_address
            .as_deref()
            .map(|a| format!(" from {a}"))
            .unwrap_or_default();
        let when = at.format("%Y-%m-%d %H:%M UTC");
        let mut raise = Vec::new();
        {
            let baseline = self.baselines.get_mut(&credential).expect("loaded above");
            let established = baseline.established_at(at);
            let mut learn = |dimension: BaselineDimension, value: &str| -> bool {
                baseline.known.insert((dimension, value.to_owned()))
            };
            let _ = learn(BaselineDimension::Action, &event.action);
            if let Some(name) = &resource_name
                && learn(BaselineDimension::Resource, name)
                && established
            {
                raise.push((
                    BehaviourFindingKind::NewResource,
                    name.clone(),
                    format!(
                        "{} on {name}{from} on {when}: not among the resources it used before",
                        event.action
                    ),
                ));
            }
            if let Some(network) = &network
                && learn(BaselineDimension::Network, network)
                && established
                && is_address
            {
                raise.push((
                    BehaviourFindingKind::NewNetwork,
                    network.clone(),
                    format!(
                        "{}{from} on {when}: {network} is not among the networks it used before",
                        event.action
                    ),
                ));
            }
            if let Some(ua) = &event.user_agent {
                let _ = learn(BaselineDimension::UserAgent, ua);
            }
            baseline.seen(at, at);
        }
        if let Some(what) = human(&event.action, event.user_agent.as_deref()) {
            let client = event.user_agent.as_deref().unwrap_or("no user agent");
            raise.push((
                BehaviourFindingKind::HumanUse,
                what.to_owned(),
                format!("{what}: {}{from} on {when} ({client})", event.action),
            ));
        }
        if let (Some(resource), Some(ua)) = (&resource, &event.user_agent)
            && resource.environment == Environment::Prod
            && !event.failed
            && let Some(marker) = laptop_marker(ua)
        {
            raise.push((
                BehaviourFindingKind::EndpointAgainstProd,
                resource.name.clone(),
                format!(
                    "{} on production {} from a {marker} laptop{from} on {when} ({ua})",
                    event.action, resource.name
                ),
            ));
        }
        for (kind, value, evidence) in raise {
            self.raise(credential, kind, value, evidence, at);
        }

        let dimensions = [
            (BaselineDimension::Action, Some(event.action.clone())),
            (BaselineDimension::Resource, resource_name),
            (BaselineDimension::Network, network),
            (BaselineDimension::UserAgent, event.user_agent.clone()),
        ];
        for (dimension, value) in dimensions {
            if let Some(value) = value {
                self.seen
                    .entry((credential, dimension.as_str(), value))
                    .and_modify(|o| {
                        o.first = o.first.min(at);
                        o.last = o.last.max(at);
                        o.events += 1;
                    })
                    .or_insert(Observed {
                        first: at,
                        last: at,
                        events: 1,
                    });
            }
        }
        self.touched_hours
            .entry(credential)
            .or_default()
            .insert(hour_of(at));
        if !event.failed {
            let used = self.last_used.entry(credential).or_insert(at);
            *used = (*used).max(at);
        }
    }

    fn raise(
        &mut self,
        credential: i64,
        kind: BehaviourFindingKind,
        value: String,
        evidence: String,
        occurred_at: DateTime<Utc>,
    ) {
        if self.raised.insert((credential, kind, value.clone())) {
            self.findings.push(NewFinding {
                credential,
                kind,
                value,
                evidence,
                occurred_at,
            });
        }
    }

    /// Writes what is left: events, baselines, the hourly roll-up, rate
    /// spikes, findings and last uses. Answers the counts and the
    /// credentials whose activity changed (to be rescored).
    pub async fn finish(mut self, conn: &mut AnyConnection) -> Result<(Counts, Vec<i64>), sqlx::Error> {
        self.flush(conn).await?;
        behaviour::add_to_baselines(conn, self.backend, &self.seen).await?;
        if let Some(after) = self.after {
            behaviour::roll_up_hourly(conn, self.import, after).await?;
        }
        let touched_hours = std::mem::take(&mut self.touched_hours);
        // Only a credential whose baseline is established by its latest hour can spike.
        let judged: Vec<i64> = touched_hours
            .iter()
            .filter(|(credential, touched)| {
                let since = self.baselines.get(*credential).and_then(|b| b.since);
                let last = touched.iter().next_back().and_then(|h| DateTime::parse_from_rfc3339(h).ok());
                matches!((since, last), (Some(since), Some(last)) if last.with_timezone(&Utc) - since >= Duration::days(LEARNING_DAYS))
            })
            .map(|(credential, _)| *credential)
            .collect();
        let mut rates = behaviour::rates(conn, self.backend, &judged, SPIKE_MIN_EVENTS).await?;
        for credential in &judged {
            let touched = &touched_hours[credential];
            let Some(since) = self.baselines.get(credential).and_then(|b| b.since) else {
                continue;
            };
            let rate = rates.remove(credential).unwrap_or_default();
            if rate.active_hours <= SPIKE_HISTORY_HOURS as i64 {
                continue;
            }
            for (hour, &events) in &rate.busy {
                if !touched.contains(hour) {
                    continue;
                }
                let Ok(start) = DateTime::parse_from_rfc3339(hour) else {
                    continue;
                };
                let start = start.with_timezone(&Utc);
                if start - since < Duration::days(LEARNING_DAYS) {
                    continue;
                }
                let others = rate.active_hours - 1;
                let usual = (rate.events - events) as f64 / others as f64;
                if events as f64 >= SPIKE_FACTOR as f64 * usual {
                    self.raise(
                        *credential,
                        BehaviourFindingKind::RateSpike,
                        hour.clone(),
                        format!(
                            "{events} events in the hour from {}, {:.0}× its usual {usual:.1} an hour \
                             (mean of {others} other active hours)",
                            start.format("%Y-%m-%d %H:%M UTC"),
                            events as f64 / usual.max(0.1)
                        ),
                        start,
                    );
                }
            }
        }
        self.counts.findings =
            behaviour::insert_findings(conn, self.backend, &self.findings, self.import, self.now).await?;
        let used: Vec<(i64, DateTime<Utc>)> = self.last_used.iter().map(|(c, t)| (*c, *t)).collect();
        behaviour::mark_used(conn, self.backend, &used).await?;
        self.counts.unmatched_principals = self.unmatched.into_iter().collect();
        Ok((self.counts, touched_hours.into_keys().collect()))
    }
}

#[cfg(test)]
mod tests;
