//! The risk model: pure functions from an entity's facts to a score from 0 to
//! 100, made of named factors, each mapped to the OWASP Non-Human Identities
//! Top 10 (2025) and carrying the evidence that made it fire. No I/O here:
//! `db::risk` loads the facts and stores the results. `docs/risk-model.md`
//! documents every factor; a test keeps the two in step.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use chrono::{DateTime, Duration, Utc};
use model::api::{
    self as json, AgentCategory, BehaviourFindingKind, CopyKind, CredentialKind, CredentialStatus,
    Environment, Permission, Sensitivity,
};

/// The model's version, in every response that carries a score. Change it
/// whenever a factor, weight or threshold changes: the server then recomputes
/// every score at its next start.
pub const MODEL_VERSION: &str = "2026-12.4";

/// Days after which a key counts as not rotated, and an identity as dormant.
pub const STALE_DAYS: i64 = 90;

/// Days a behaviour finding counts towards its credential's score, from its event.
pub const FINDING_DAYS: i64 = 30;

/// The OWASP NHI Top 10 (2025), by number.
pub const REFERENCES: [&str; 10] = [
    "Improper offboarding",
    "Secret leakage",
    "Vulnerable third-party NHI",
    "Insecure authentication",
    "Overprivileged NHI",
    "Insecure cloud deployment configurations",
    "Long-lived secrets",
    "Environment isolation",
    "NHI reuse",
    "Human use of NHI",
];

/// A factor the model knows: its code, title and OWASP reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorSpec {
    /// Stable code, stored with scores and sent on the wire.
    pub code: &'static str,
    /// What it means, in words.
    pub title: &'static str,
    /// Its OWASP NHI Top 10 number, 1 to 10.
    pub reference: u8,
}

macro_rules! catalogue {
    ($( $name:ident = $code:literal, $reference:literal, $title:literal; )+) => {
        $( #[doc = $title] pub const $name: FactorSpec = FactorSpec { code: $code, title: $title, reference: $reference }; )+
        /// Every factor, in the order of the documentation.
        pub const CATALOGUE: &[FactorSpec] = &[$($name),+];
    };
}

catalogue! {
    OWNER_DEPARTED = "owner_departed", 1, "Owner has left";
    NO_OWNER = "no_owner", 1, "Nobody owns it";
    DORMANT_BUT_ACTIVE = "dormant_but_active", 1, "Unused for 90 days but still active";
    SHADOW_AGENT = "shadow_agent", 1, "Shadow agent, not sanctioned";
    IDLE_AGENT_ACTIVE_KEYS = "idle_agent_active_keys", 1, "Agent idle for 90 days, its keys still active";
    PLAINTEXT_COPIES = "plaintext_copies", 2, "Secret stored in plaintext places";
    UNUSUAL_NETWORK = "unusual_network", 2, "Used from a network outside its baseline";
    RATE_SPIKE = "rate_spike", 2, "Calls far above its usual rate";
    MANY_COPIES = "many_copies", 2, "Secret stored in more than one place";
    THIRD_PARTY_GRANT = "third_party_grant", 3, "A third-party application holds the grant";
    STATIC_WHERE_FEDERATION = "static_where_federation_possible", 4, "Static secret where federation is possible";
    ADMIN_OR_WILDCARD = "admin_or_wildcard", 5, "Admin permission or wildcard scope";
    BROAD_SCOPE = "broad_scope", 5, "Reads or writes all mail, files or code";
    TENANT_WIDE_CONSENT = "tenant_wide_consent", 5, "Consented for the whole organisation";
    UNUSED_PERMISSIONS = "unused_permissions", 5, "Reaches resources it never used";
    WIDE_BLAST_RADIUS = "wide_blast_radius", 5, "Wide blast radius";
    UNUSUAL_RESOURCE = "unusual_resource", 5, "Acted on a resource outside its baseline";
    STATIC_SECRET_IN_CI = "static_secret_in_ci", 6, "Static secret in a CI pipeline";
    UNCHECKED_FEDERATION = "unchecked_federation", 6, "Federated trust without claim checks";
    NO_EXPIRY = "no_expiry", 7, "Never expires";
    NOT_ROTATED = "not_rotated", 7, "Not rotated in 90 days";
    PROD_AND_NONPROD = "prod_and_nonprod", 8, "Reaches production and non-production";
    ENDPOINT_AGAINST_PROD = "endpoint_against_prod", 8, "Used from a laptop agent against production";
    SHARED_CREDENTIAL = "shared_credential", 9, "Shared by several agents or tools";
    HUMAN_USE = "human_use", 10, "A person used it interactively";
    CODING_AGENT_HUMAN_CREDENTIAL = "coding_agent_human_credential", 10, "Coding agent holding a person's credential";
    NOT_ATTESTED = "not_attested", 1, "Not attested in an access review";
    RISKIEST_CREDENTIAL = "riskiest_credential", 0, "Its riskiest credential";
}

/// Days after which an attestation counts as stale where no repeating
/// review covers the item: a quarter, the usual access review cycle.
pub const REVIEW_CYCLE_DAYS: i64 = 92;

/// What access reviews say of an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Attestation {
    /// No campaign has passed its due date yet: nothing is expected of anyone.
    #[default]
    NotExpected,
    /// Expected (a campaign has come and gone), and never given.
    Never,
    /// The newest one: when and by whom.
    Last {
        /// When it was attested.
        at: DateTime<Utc>,
        /// By whom (an email).
        by: String,
        /// The repeating review that holds it, if one does (the one that
        /// asks again soonest); `None`: [`REVIEW_CYCLE_DAYS`].
        cycle: Option<ReviewCycle>,
    },
}

/// How a repeating review comes round: every `cadence`, each cycle given
/// `window` to be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewCycle {
    /// How often a cycle starts.
    pub cadence: json::ReviewCadence,
    /// From a cycle's start to its due date.
    pub window: Duration,
}

impl ReviewCycle {
    /// When an attestation given `at` stops vouching: once the cycle after
    /// it has come due (a cadence and a window on), not as the next one
    /// opens, so that a reviewer deciding within the window is never late.
    /// Months are counted as the cycles count them (a month after 31
    /// January is the end of February).
    fn ends(self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        at.checked_add_months(chrono::Months::new(self.cadence.months()))
            .map(|next| next + self.window)
    }

    /// In words, for the evidence: "reviewed every month, with 14 days to decide".
    fn words(self) -> String {
        let days = (self.window.num_hours() + 23) / 24;
        format!(
            "reviewed {}, with {days} day{} to decide",
            self.cadence.label().to_lowercase(),
            if days == 1 { "" } else { "s" }
        )
    }
}

/// Whether an attestation given `at` is older than a review cycle by `now`.
fn stale(at: DateTime<Utc>, cycle: Option<ReviewCycle>, now: DateTime<Utc>) -> bool {
    match cycle {
        None => now - at > Duration::days(REVIEW_CYCLE_DAYS),
        Some(cycle) => cycle.ends(at).is_some_and(|end| now > end),
    }
}

/// The attestation factor: never attested, or not in the last review cycle.
fn attestation(attestation: &Attestation, now: DateTime<Utc>) -> Option<Fired> {
    match attestation {
        Attestation::NotExpected => None,
        Attestation::Never => Some(fired(
            NOT_ATTESTED,
            10,
            "never attested in an access review".into(),
        )),
        Attestation::Last { at, by, cycle } if stale(*at, *cycle, now) => Some(fired(
            NOT_ATTESTED,
            5,
            match cycle {
                None => format!(
                    "last attested on {} by {by}, more than a review cycle ({REVIEW_CYCLE_DAYS} days) ago",
                    at.format("%Y-%m-%d")
                ),
                Some(cycle) => format!(
                    "last attested on {} by {by}, more than a review cycle ago ({})",
                    at.format("%Y-%m-%d"),
                    cycle.words()
                ),
            },
        )),
        Attestation::Last { .. } => None,
    }
}

/// A factor that fired, with its weight and evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fired {
    /// The factor's code.
    pub code: String,
    /// For `riskiest_credential`, the reference of the credential's leading
    /// factor; otherwise the factor's own.
    pub reference: u8,
    /// Points added.
    pub weight: i64,
    /// Why, in words.
    pub evidence: String,
}

/// A score and the factors behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// 0 to 100.
    pub score: i64,
    /// Heaviest first (ties by code, so the order is stable).
    pub factors: Vec<Fired>,
    /// For credentials: what it reaches, weighted (0 to 100).
    pub blast_radius: i64,
}

impl Assessment {
    fn new(mut factors: Vec<Fired>, blast_radius: i64) -> Self {
        factors.retain(|f| f.weight > 0);
        factors.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.code.cmp(&b.code)));
        let score = factors.iter().map(|f| f.weight).sum::<i64>().min(100);
        Self {
            score,
            factors,
            blast_radius,
        }
    }

    /// The OWASP references of the factors, as bits (bit n-1 for NHIn).
    pub fn reference_mask(&self) -> i64 {
        self.factors
            .iter()
            .filter(|f| (1..=10).contains(&f.reference))
            .fold(0, |mask, f| mask | 1 << (f.reference - 1))
    }

    /// The heaviest factor, if any.
    pub fn leading(&self) -> Option<&Fired> {
        self.factors.first()
    }
}

fn fired(spec: FactorSpec, weight: i64, evidence: String) -> Fired {
    Fired {
        code: spec.code.to_owned(),
        reference: spec.reference,
        weight,
        evidence,
    }
}

/// The spec of a stored factor's code.
pub fn spec(code: &str) -> Option<FactorSpec> {
    CATALOGUE.iter().copied().find(|s| s.code == code)
}

/// A stored factor as the API shows it.
pub fn to_wire(factor: &Fired) -> json::RiskFactor {
    let spec = spec(&factor.code);
    let reference = usize::from(factor.reference);
    json::RiskFactor {
        code: factor.code.clone(),
        title: spec.map_or_else(|| factor.code.clone(), |s| s.title.to_owned()),
        reference: format!("NHI{reference}"),
        reference_title: REFERENCES
            .get(reference.wrapping_sub(1))
            .copied()
            .unwrap_or("")
            .to_owned(),
        weight: factor.weight,
        evidence: factor.evidence.clone(),
    }
}

/// "title: evidence" of a factor, for list rows.
pub fn headline(factor: &Fired) -> String {
    let title = spec(&factor.code).map_or(factor.code.as_str(), |s| s.title);
    format!("{title}: {}", factor.evidence)
}

/// A person, as far as risk is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their name.
    pub name: String,
    /// Whether they have left the organisation.
    pub departed: bool,
}

/// A present copy of a credential's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// What kind of place.
    pub kind: CopyKind,
    /// The place.
    pub locator: String,
}

/// The present copies of a credential's secret as the model reads them: how
/// many of each kind, and the first and the last place of each kind by name.
/// The database sums them up, so that a secret found in thousands of places
/// costs a row per kind, not a row per place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copies(BTreeMap<CopyKind, Places>);

/// Copies of one kind: how many, and the first and the last place by name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Places {
    count: usize,
    first: String,
    last: String,
}

impl Copies {
    /// Adds `count` copies of `kind`, whose places run from `first` to `last` by name.
    pub fn add(&mut self, kind: CopyKind, count: usize, first: String, last: String) {
        if count == 0 {
            return;
        }
        match self.0.entry(kind) {
            Entry::Vacant(entry) => {
                entry.insert(Places { count, first, last });
            }
            Entry::Occupied(mut entry) => {
                let places = entry.get_mut();
                places.count += count;
                if first < places.first {
                    places.first = first;
                }
                if last > places.last {
                    places.last = last;
                }
            }
        }
    }

    /// How many copies there are of the kinds `of`.
    fn count(&self, of: impl Fn(CopyKind) -> bool) -> usize {
        self.0
            .iter()
            .filter(|(kind, _)| of(**kind))
            .map(|(_, places)| places.count)
            .sum()
    }

    /// The places named of the kinds `of`, by kind, then by name.
    fn named(&self, of: impl Fn(CopyKind) -> bool) -> Vec<(CopyKind, &str)> {
        let mut named = Vec::new();
        for (kind, places) in self.0.iter().filter(|(kind, _)| of(**kind)) {
            named.push((*kind, places.first.as_str()));
            if places.last != places.first {
                named.push((*kind, places.last.as_str()));
            }
        }
        named
    }
}

impl FromIterator<Copy> for Copies {
    fn from_iter<I: IntoIterator<Item = Copy>>(copies: I) -> Self {
        let mut summed = Copies::default();
        for copy in copies {
            summed.add(copy.kind, 1, copy.locator.clone(), copy.locator);
        }
        summed
    }
}

/// A resource a credential reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// Its name.
    pub name: String,
    /// Its environment.
    pub environment: Environment,
    /// Its sensitivity.
    pub sensitivity: Sensitivity,
    /// The permission the credential has on it.
    pub permission: Permission,
    /// Whether recorded activity shows the credential acting on it.
    pub used: bool,
}

/// An agent using a credential (through one of its tools).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// The agent's name.
    pub name: String,
    /// Its category.
    pub category: AgentCategory,
}

/// Interactive use seen in a credential's activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanUse {
    /// Events that look interactive.
    pub events: i64,
    /// Whether one was a console sign-in.
    pub console: bool,
    /// The latest.
    pub last: DateTime<Utc>,
}

/// A behaviour finding on a credential (see `import::activity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is unusual.
    pub kind: BehaviourFindingKind,
    /// In words.
    pub evidence: String,
    /// When its event happened.
    pub occurred_at: DateTime<Utc>,
}

/// Everything the model reads about a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialFacts {
    /// Its kind.
    pub kind: CredentialKind,
    /// Its provider (`aws`, `github`, ...).
    pub provider: String,
    /// Its state.
    pub status: CredentialStatus,
    /// Its scopes, space-separated.
    pub scopes: String,
    /// The third-party application holding it, if any.
    pub third_party: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it expires, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last rotated, if ever.
    pub last_rotated_at: Option<DateTime<Utc>>,
    /// When it was last used, if known.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Its owner.
    pub owner: Option<Person>,
    /// Present copies of its secret.
    pub copies: Copies,
    /// What it reaches.
    pub reach: Vec<Reach>,
    /// Whether any successful activity on a resource is recorded.
    pub has_activity: bool,
    /// Interactive use, if seen.
    pub human_use: Option<HumanUse>,
    /// Its behaviour findings, oldest first.
    pub findings: Vec<Finding>,
    /// Whether (in words) a person can sign in with the identity behind it:
    /// an IAM user with a console password.
    pub console_access: Option<String>,
    /// Who may assume it (a role's trust policy), in words; a federated
    /// principal trusted without conditions is marked `(no conditions)`.
    pub trusted_by: Option<String>,
    /// Who consented to it for the whole organisation (a platform's grant
    /// with tenant-wide consent), in words.
    pub tenant_consent: Option<String>,
    /// Agents using it.
    pub agents: Vec<Consumer>,
    /// Tools authenticating with it.
    pub tools: i64,
    /// What access reviews say of it.
    pub attestation: Attestation,
}

/// Providers that offer a secretless way in (OIDC federation, assumed roles,
/// GitHub Apps), so that a static secret there is a choice, not a necessity.
const FEDERATED_PROVIDERS: &[&str] = &["aws", "gcp", "azure", "github"];

/// Blast radius points of one reach: sensitivity × permission × environment.
fn reach_points(reach: &Reach) -> i64 {
    let sensitivity = match reach.sensitivity {
        Sensitivity::Public => 0,
        Sensitivity::Internal => 1,
        Sensitivity::Confidential => 3,
        Sensitivity::Restricted => 5,
    };
    let permission = match reach.permission {
        Permission::Read => 1,
        Permission::Write => 2,
        Permission::Admin => 3,
    };
    let environment = if reach.environment == Environment::Prod {
        2
    } else {
        1
    };
    sensitivity * permission * environment
}

/// What a credential reaches, weighted by sensitivity, permission and
/// production, from 0 to 100.
pub fn blast_radius(reach: &[Reach]) -> i64 {
    reach.iter().map(reach_points).sum::<i64>().min(100)
}

/// "a, b, c (+4 more)".
fn list<'a>(names: impl IntoIterator<Item = &'a str>, shown: usize) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    list_of(&names, names.len(), shown)
}

/// The first `shown` of `names` out of `total` things, counting the rest:
/// "a, b, c (+4 more)".
fn list_of(names: &[&str], total: usize, shown: usize) -> String {
    let shown = shown.min(names.len());
    let mut text = names[..shown].join(", ");
    if total > shown {
        text.push_str(&format!(" (+{} more)", total - shown));
    }
    text
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn days_since(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    (now - then).num_days()
}

fn is_wildcard(scope: &str) -> bool {
    scope.contains('*')
}

fn is_admin_scope(scope: &str) -> bool {
    let scope = scope.to_ascii_lowercase();
    scope.contains("admin") || scope == "roles/owner" || scope == "roles/editor"
}

/// Scores a credential as of `now`. Only active credentials carry risk: a
/// disabled, revoked or expired one scores 0 (its copies no longer open anything).
pub fn assess_credential(facts: &CredentialFacts, now: DateTime<Utc>) -> Assessment {
    let radius = blast_radius(&facts.reach);
    if facts.status != CredentialStatus::Active {
        return Assessment::new(Vec::new(), radius);
    }
    let stale = Duration::days(STALE_DAYS);
    let mut factors = Vec::new();

    // NHI1: improper offboarding.
    match &facts.owner {
        Some(owner) if owner.departed => factors.push(fired(
            OWNER_DEPARTED,
            20,
            format!("{} has left the organisation", owner.name),
        )),
        Some(_) => {}
        None => factors.push(fired(NO_OWNER, 12, "no owner is recorded".into())),
    }
    if now - facts.created_at >= stale {
        match facts.last_used_at {
            None => factors.push(fired(
                DORMANT_BUT_ACTIVE,
                10,
                format!("never used in {} days", days_since(now, facts.created_at)),
            )),
            Some(used) if now - used >= stale => factors.push(fired(
                DORMANT_BUT_ACTIVE,
                10,
                format!("last used {} days ago", days_since(now, used)),
            )),
            Some(_) => {}
        }
    }

    // NHI2: secret leakage.
    let plaintext = facts.copies.count(CopyKind::is_plaintext);
    if plaintext > 0 {
        let weight = (12 + 4 * (plaintext as i64 - 1)).min(24);
        let places = facts
            .copies
            .named(CopyKind::is_plaintext)
            .into_iter()
            .map(|(kind, locator)| format!("{} {locator}", kind.label()))
            .collect::<Vec<_>>();
        let places: Vec<&str> = places.iter().map(String::as_str).collect();
        factors.push(fired(
            PLAINTEXT_COPIES,
            weight,
            format!(
                "{}: {}",
                plural(plaintext, "plaintext copy", "plaintext copies"),
                list_of(&places, plaintext, 3)
            ),
        ));
    }
    let recent = |kind: BehaviourFindingKind| -> Vec<&Finding> {
        facts
            .findings
            .iter()
            .filter(|f| f.kind == kind && now - f.occurred_at < Duration::days(FINDING_DAYS))
            .collect()
    };
    let latest = |found: &[&Finding]| -> String {
        let last = found.last().map_or("", |f| f.evidence.as_str());
        match found.len() {
            1 => last.to_owned(),
            n => format!("{n} in {FINDING_DAYS} days, the latest: {last}"),
        }
    };
    let networks = recent(BehaviourFindingKind::NewNetwork);
    if !networks.is_empty() {
        factors.push(fired(UNUSUAL_NETWORK, 12, latest(&networks)));
    }
    let spikes = recent(BehaviourFindingKind::RateSpike);
    if !spikes.is_empty() {
        factors.push(fired(RATE_SPIKE, 8, latest(&spikes)));
    }
    let copies = facts.copies.count(|_| true);
    if copies > 1 {
        factors.push(fired(
            MANY_COPIES,
            6,
            format!("{} of the same secret", plural(copies, "copy", "copies")),
        ));
    }

    // NHI3: vulnerable third-party NHI.
    if let Some(app) = &facts.third_party {
        factors.push(fired(THIRD_PARTY_GRANT, 10, format!("held by {app}")));
    }

    // NHI4: insecure authentication.
    if facts.kind.is_static() && FEDERATED_PROVIDERS.contains(&facts.provider.as_str()) {
        factors.push(fired(
            STATIC_WHERE_FEDERATION,
            8,
            format!(
                "a static {} on {}, which offers federation",
                facts.kind.label().to_lowercase(),
                facts.provider
            ),
        ));
    }

    // NHI5: overprivileged.
    let scopes: Vec<&str> = facts.scopes.split_whitespace().collect();
    let wildcards: Vec<&str> = scopes.iter().copied().filter(|s| is_wildcard(s)).collect();
    let admin_scopes: Vec<&str> = scopes.iter().copied().filter(|s| is_admin_scope(s)).collect();
    let admin_on: Vec<&Reach> = facts
        .reach
        .iter()
        .filter(|r| r.permission == Permission::Admin)
        .collect();
    if !wildcards.is_empty() || !admin_scopes.is_empty() || !admin_on.is_empty() {
        let mut parts = Vec::new();
        if !wildcards.is_empty() {
            parts.push(format!("wildcard scope {}", list(wildcards, 3)));
        }
        if !admin_scopes.is_empty() {
            parts.push(format!("admin scope {}", list(admin_scopes, 3)));
        }
        if !admin_on.is_empty() {
            parts.push(format!(
                "admin on {}: {}",
                plural(admin_on.len(), "resource", "resources"),
                list(admin_on.iter().map(|r| r.name.as_str()), 3)
            ));
        }
        factors.push(fired(ADMIN_OR_WILDCARD, 12, parts.join("; ")));
    }
    // An admin scope is flagged above already: the rest of what is broad here.
    let broad: Vec<&str> = scopes
        .iter()
        .copied()
        .filter(|s| crate::scopes::is_broad(s) && !is_admin_scope(s))
        .collect();
    if !broad.is_empty() {
        factors.push(fired(
            BROAD_SCOPE,
            10,
            format!("{} {}", plural(broad.len(), "scope", "scopes"), list(broad, 3)),
        ));
    }
    if let Some(who) = &facts.tenant_consent {
        factors.push(fired(
            TENANT_WIDE_CONSENT,
            10,
            format!("consented by {who} for every user of the organisation"),
        ));
    }
    if facts.has_activity {
        let unused: Vec<&Reach> = facts.reach.iter().filter(|r| !r.used).collect();
        if !unused.is_empty() {
            factors.push(fired(
                UNUSED_PERMISSIONS,
                8,
                format!(
                    "reaches {}, used {} in recorded activity; never used: {}",
                    plural(facts.reach.len(), "resource", "resources"),
                    facts.reach.len() - unused.len(),
                    list(unused.iter().map(|r| r.name.as_str()), 3)
                ),
            ));
        }
    }
    let resources = recent(BehaviourFindingKind::NewResource);
    if !resources.is_empty() {
        factors.push(fired(UNUSUAL_RESOURCE, 8, latest(&resources)));
    }
    if radius >= 5 {
        let restricted = facts
            .reach
            .iter()
            .filter(|r| r.sensitivity == Sensitivity::Restricted)
            .count();
        let prod = facts
            .reach
            .iter()
            .filter(|r| r.environment == Environment::Prod)
            .count();
        factors.push(fired(
            WIDE_BLAST_RADIUS,
            radius / 5,
            format!(
                "blast radius {radius}/100: reaches {} ({restricted} restricted, {prod} in production)",
                plural(facts.reach.len(), "resource", "resources")
            ),
        ));
    }

    // NHI6: insecure deployment configuration.
    if facts.kind.is_static() {
        let in_ci = |kind| kind == CopyKind::CiConfig;
        let ci = facts.copies.count(in_ci);
        if ci > 0 {
            let places: Vec<&str> = facts.copies.named(in_ci).into_iter().map(|(_, l)| l).collect();
            factors.push(fired(
                STATIC_SECRET_IN_CI,
                10,
                format!("stored in CI: {}", list_of(&places, ci, 3)),
            ));
        }
    }

    if let Some(trusted) = &facts.trusted_by {
        let unchecked: Vec<&str> = trusted
            .split(", ")
            .filter_map(|t| t.strip_suffix(" (no conditions)"))
            .filter_map(|t| t.strip_prefix("Federated:"))
            .collect();
        if !unchecked.is_empty() {
            factors.push(fired(
                UNCHECKED_FEDERATION,
                12,
                format!(
                    "anyone {} vouches for may assume it: its trust policy checks no claim (sub, aud)",
                    list(unchecked, 2)
                ),
            ));
        }
    }

    // NHI7: long-lived secrets.
    if facts.kind.is_static() {
        if facts.expires_at.is_none() {
            factors.push(fired(NO_EXPIRY, 6, "no expiry date".into()));
        }
        let since = facts.last_rotated_at.unwrap_or(facts.created_at);
        if now - since >= stale {
            let evidence = match facts.last_rotated_at {
                Some(rotated) => format!("last rotated {} days ago", days_since(now, rotated)),
                None => format!(
                    "never rotated in the {} days since creation",
                    days_since(now, facts.created_at)
                ),
            };
            factors.push(fired(NOT_ROTATED, 10, evidence));
        }
    }

    // NHI8: environment isolation.
    let reaches = |env: Environment| facts.reach.iter().any(|r| r.environment == env);
    if reaches(Environment::Prod) && (reaches(Environment::Staging) || reaches(Environment::Dev)) {
        let others: Vec<&str> = [Environment::Staging, Environment::Dev]
            .into_iter()
            .filter(|e| reaches(*e))
            .map(|e| e.as_str())
            .collect();
        factors.push(fired(
            PROD_AND_NONPROD,
            8,
            format!("reaches prod and {}", others.join(" and ")),
        ));
    }
    let laptops: Vec<&Consumer> = facts
        .agents
        .iter()
        .filter(|a| a.category == AgentCategory::CodingEndpoint)
        .collect();
    let prod_used: Vec<&Reach> = facts
        .reach
        .iter()
        .filter(|r| r.environment == Environment::Prod && r.used)
        .collect();
    let laptop_events = recent(BehaviourFindingKind::EndpointAgainstProd);
    if !laptops.is_empty() && !prod_used.is_empty() {
        factors.push(fired(
            ENDPOINT_AGAINST_PROD,
            12,
            format!(
                "used by {} on a laptop, and acted on production: {}",
                list(laptops.iter().map(|a| a.name.as_str()), 2),
                list(prod_used.iter().map(|r| r.name.as_str()), 3)
            ),
        ));
    } else if !laptop_events.is_empty() {
        factors.push(fired(ENDPOINT_AGAINST_PROD, 12, latest(&laptop_events)));
    }

    // NHI9: reuse.
    if facts.agents.len() > 1 || facts.tools > 1 {
        factors.push(fired(
            SHARED_CREDENTIAL,
            8,
            format!(
                "used by {} through {}: {}",
                plural(facts.agents.len(), "agent", "agents"),
                plural(facts.tools as usize, "tool", "tools"),
                list(facts.agents.iter().map(|a| a.name.as_str()), 3)
            ),
        ));
    }

    // NHI10: human use.
    if let Some(human) = &facts.human_use {
        let what = if human.console {
            "console sign-in"
        } else {
            "browser use"
        };
        factors.push(fired(
            HUMAN_USE,
            15,
            format!(
                "{what} seen, last on {} ({})",
                human.last.format("%Y-%m-%d"),
                plural(human.events as usize, "interactive event", "interactive events")
            ),
        ));
    } else {
        // The events may have been pruned; their findings remain.
        let people = recent(BehaviourFindingKind::HumanUse);
        if !people.is_empty() {
            factors.push(fired(HUMAN_USE, 15, latest(&people)));
        } else if let Some(console) = &facts.console_access {
            factors.push(fired(HUMAN_USE, 15, console.clone()));
        }
    }

    // Governance: an access review has (not) vouched for it.
    if facts.status == CredentialStatus::Active {
        factors.extend(attestation(&facts.attestation, now));
    }

    Assessment::new(factors, radius)
}

/// A credential an agent uses, as already assessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCredential {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: CredentialKind,
    /// Its state.
    pub status: CredentialStatus,
    /// Its assessment.
    pub assessment: Assessment,
}

/// Everything the model reads about an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFacts {
    /// Its category.
    pub category: AgentCategory,
    /// Whether the organisation sanctioned it.
    pub sanctioned: bool,
    /// When it was first seen.
    pub first_seen: DateTime<Utc>,
    /// When it was last seen, if ever.
    pub last_seen: Option<DateTime<Utc>>,
    /// Its owner.
    pub owner: Option<Person>,
    /// The credentials its tools authenticate with.
    pub credentials: Vec<HeldCredential>,
    /// What access reviews say of it.
    pub attestation: Attestation,
}

/// Scores an agent as of `now`: its own facts, plus half the score of its
/// riskiest active credential (the way in an attacker would take).
pub fn assess_agent(facts: &AgentFacts, now: DateTime<Utc>) -> Assessment {
    let stale = Duration::days(STALE_DAYS);
    let active: Vec<&HeldCredential> = facts
        .credentials
        .iter()
        .filter(|c| c.status == CredentialStatus::Active)
        .collect();
    let mut factors = Vec::new();
    match &facts.owner {
        Some(owner) if owner.departed => factors.push(fired(
            OWNER_DEPARTED,
            25,
            format!("{} has left the organisation", owner.name),
        )),
        Some(_) => {}
        None => factors.push(fired(NO_OWNER, 20, "no owner is recorded".into())),
    }
    if !facts.sanctioned {
        factors.push(fired(
            SHADOW_AGENT,
            15,
            "not sanctioned by the organisation".into(),
        ));
    }
    let seen = facts.last_seen.unwrap_or(facts.first_seen);
    if now - seen >= stale && !active.is_empty() {
        let when = match facts.last_seen {
            Some(last) => format!("last seen {} days ago", days_since(now, last)),
            None => format!(
                "never seen since it was found {} days ago",
                days_since(now, facts.first_seen)
            ),
        };
        factors.push(fired(
            IDLE_AGENT_ACTIVE_KEYS,
            15,
            format!(
                "{when}; {} still active",
                plural(active.len(), "credential", "credentials")
            ),
        ));
    }
    if facts.category == AgentCategory::CodingEndpoint {
        let personal: Vec<&str> = active
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    CredentialKind::PersonalAccessToken | CredentialKind::SshKey
                )
            })
            .map(|c| c.name.as_str())
            .collect();
        if !personal.is_empty() {
            factors.push(fired(
                CODING_AGENT_HUMAN_CREDENTIAL,
                15,
                format!(
                    "a coding agent on a laptop holding a person's token: {}",
                    list(personal, 3)
                ),
            ));
        }
    }
    let riskiest = active.iter().filter(|c| c.assessment.score > 0).max_by(|a, b| {
        a.assessment
            .score
            .cmp(&b.assessment.score)
            .then_with(|| b.name.cmp(&a.name))
    });
    if let Some(credential) = riskiest {
        let leading = credential
            .assessment
            .leading()
            .expect("a positive score has a factor");
        factors.push(Fired {
            code: RISKIEST_CREDENTIAL.code.to_owned(),
            reference: leading.reference,
            weight: (credential.assessment.score + 1) / 2,
            evidence: format!(
                "{} scores {}: {}",
                credential.name,
                credential.assessment.score,
                headline(leading)
            ),
        });
    }
    factors.extend(attestation(&facts.attestation, now));
    Assessment::new(factors, 0)
}

#[cfg(test)]
mod tests {
    //! One test per factor: the smallest facts that make it fire, and facts
    //! where it must not.

    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-01T00:00:00Z".parse().unwrap()
    }

    fn days_ago(days: i64) -> DateTime<Utc> {
        now() - Duration::days(days)
    }

    /// A credential on which no factor fires: federated, owned, recent, used,
    /// stored nowhere, reaching nothing.
    fn quiet() -> CredentialFacts {
        CredentialFacts {
            kind: CredentialKind::WorkloadIdentityFederation,
            provider: "gcp".into(),
            status: CredentialStatus::Active,
            scopes: String::new(),
            third_party: None,
            created_at: days_ago(10),
            expires_at: None,
            last_rotated_at: None,
            last_used_at: Some(days_ago(1)),
            owner: Some(Person {
                name: "Ada".into(),
                departed: false,
            }),
            copies: Copies::default(),
            reach: Vec::new(),
            has_activity: false,
            human_use: None,
            findings: Vec::new(),
            console_access: None,
            trusted_by: None,
            tenant_consent: None,
            agents: Vec::new(),
            tools: 1,
            attestation: Attestation::NotExpected,
        }
    }

    /// A static key that is otherwise quiet (expiring, freshly rotated, on a
    /// provider without federation).
    fn quiet_static() -> CredentialFacts {
        CredentialFacts {
            kind: CredentialKind::ApiKey,
            provider: "openai".into(),
            expires_at: Some(days_ago(-30)),
            ..quiet()
        }
    }

    fn reach(
        name: &str,
        environment: Environment,
        sensitivity: Sensitivity,
        permission: Permission,
    ) -> Reach {
        Reach {
            name: name.into(),
            environment,
            sensitivity,
            permission,
            used: false,
        }
    }

    fn copy(kind: CopyKind, locator: &str) -> Copy {
        Copy {
            kind,
            locator: locator.into(),
        }
    }

    fn agent(name: &str, category: AgentCategory) -> Consumer {
        Consumer {
            name: name.into(),
            category,
        }
    }

    fn codes(facts: &CredentialFacts) -> Vec<String> {
        assess_credential(facts, now())
            .factors
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    fn fires(facts: &CredentialFacts, spec: FactorSpec) -> Option<Fired> {
        assess_credential(facts, now())
            .factors
            .into_iter()
            .find(|f| f.code == spec.code)
    }

    #[test]
    fn the_quiet_credentials_score_zero() {
        assert_eq!(codes(&quiet()), Vec::<String>::new());
        assert_eq!(codes(&quiet_static()), Vec::<String>::new());
    }

    #[test]
    fn owner_departed_fires_only_for_a_departed_owner() {
        let facts = CredentialFacts {
            owner: Some(Person {
                name: "Grace".into(),
                departed: true,
            }),
            ..quiet()
        };
        let factor = fires(&facts, OWNER_DEPARTED).unwrap();
        assert_eq!(factor.evidence, "Grace has left the organisation");
        assert_eq!(factor.reference, 1);
        assert!(fires(&quiet(), OWNER_DEPARTED).is_none());
    }

    #[test]
    fn no_owner_fires_without_an_owner() {
        assert!(
            fires(
                &CredentialFacts {
                    owner: None,
                    ..quiet()
                },
                NO_OWNER
            )
            .is_some()
        );
        assert!(fires(&quiet(), NO_OWNER).is_none());
    }

    #[test]
    fn dormant_but_active_fires_for_an_old_key_unused_for_90_days() {
        let old = CredentialFacts {
            created_at: days_ago(400),
            last_used_at: Some(days_ago(120)),
            ..quiet()
        };
        assert_eq!(
            fires(&old, DORMANT_BUT_ACTIVE).unwrap().evidence,
            "last used 120 days ago"
        );
        let never = CredentialFacts {
            last_used_at: None,
            ..old.clone()
        };
        assert_eq!(
            fires(&never, DORMANT_BUT_ACTIVE).unwrap().evidence,
            "never used in 400 days"
        );
        let recent = CredentialFacts {
            last_used_at: Some(days_ago(5)),
            ..old
        };
        assert!(fires(&recent, DORMANT_BUT_ACTIVE).is_none());
        let young = CredentialFacts {
            last_used_at: None,
            ..quiet()
        };
        assert!(
            fires(&young, DORMANT_BUT_ACTIVE).is_none(),
            "a new key has had no time to be used"
        );
    }

    #[test]
    fn plaintext_copies_fire_for_plaintext_places_and_weigh_more_with_each() {
        let one = CredentialFacts {
            copies: Copies::from_iter([copy(CopyKind::EnvFile, "laptop-42:~/app/.env")]),
            ..quiet()
        };
        let factor = fires(&one, PLAINTEXT_COPIES).unwrap();
        assert_eq!(factor.weight, 12);
        assert!(
            factor
                .evidence
                .starts_with("1 plaintext copy: .env file laptop-42"),
            "{}",
            factor.evidence
        );
        let three = CredentialFacts {
            copies: Copies::from_iter([
                copy(CopyKind::EnvFile, "a/.env"),
                copy(CopyKind::ChatMessage, "#deploy"),
                copy(CopyKind::RepositoryFile, "acme/api:config.py"),
            ]),
            ..quiet()
        };
        assert_eq!(fires(&three, PLAINTEXT_COPIES).unwrap().weight, 20);
        let vaulted = CredentialFacts {
            copies: Copies::from_iter([copy(CopyKind::SecretsManager, "vault:kv/app")]),
            ..quiet()
        };
        assert!(fires(&vaulted, PLAINTEXT_COPIES).is_none());
    }

    #[test]
    fn copies_summed_up_count_every_place_and_name_the_first_and_last_of_each_kind() {
        let mut copies = Copies::default();
        copies.add(CopyKind::EnvFile, 40, "a/.env".into(), "z/.env".into());
        copies.add(CopyKind::CiConfig, 1, "ci:KEY".into(), "ci:KEY".into());
        let facts = CredentialFacts {
            copies,
            ..quiet_static()
        };
        let factor = fires(&facts, PLAINTEXT_COPIES).unwrap();
        assert_eq!(factor.weight, 24, "capped");
        assert_eq!(
            factor.evidence,
            "41 plaintext copies: .env file a/.env, .env file z/.env, CI configuration ci:KEY (+38 more)"
        );
        assert_eq!(
            fires(&facts, MANY_COPIES).unwrap().evidence,
            "41 copies of the same secret"
        );
        assert_eq!(
            fires(&facts, STATIC_SECRET_IN_CI).unwrap().evidence,
            "stored in CI: ci:KEY"
        );
        // The same places one by one read the same.
        let one_by_one = CredentialFacts {
            copies: Copies::from_iter([
                copy(CopyKind::EnvFile, "z/.env"),
                copy(CopyKind::EnvFile, "a/.env"),
            ]),
            ..quiet()
        };
        assert_eq!(
            fires(&one_by_one, PLAINTEXT_COPIES).unwrap().evidence,
            "2 plaintext copies: .env file a/.env, .env file z/.env"
        );
    }

    #[test]
    fn many_copies_fire_for_more_than_one_copy() {
        let two = CredentialFacts {
            copies: Copies::from_iter([
                copy(CopyKind::SecretsManager, "vault:a"),
                copy(CopyKind::SecretsManager, "vault:b"),
            ]),
            ..quiet()
        };
        assert_eq!(
            fires(&two, MANY_COPIES).unwrap().evidence,
            "2 copies of the same secret"
        );
        let one = CredentialFacts {
            copies: Copies::from_iter([copy(CopyKind::SecretsManager, "vault:a")]),
            ..quiet()
        };
        assert!(fires(&one, MANY_COPIES).is_none());
    }

    #[test]
    fn third_party_grant_fires_when_an_outside_app_holds_it() {
        let held = CredentialFacts {
            third_party: Some("Zapier".into()),
            ..quiet()
        };
        assert_eq!(
            fires(&held, THIRD_PARTY_GRANT).unwrap().evidence,
            "held by Zapier"
        );
        assert!(fires(&quiet(), THIRD_PARTY_GRANT).is_none());
    }

    #[test]
    fn static_where_federation_fires_for_static_keys_on_federating_providers() {
        let aws = CredentialFacts {
            kind: CredentialKind::AccessKey,
            provider: "aws".into(),
            ..quiet_static()
        };
        assert!(fires(&aws, STATIC_WHERE_FEDERATION).is_some());
        assert!(
            fires(&quiet_static(), STATIC_WHERE_FEDERATION).is_none(),
            "openai has no federation"
        );
        let role = CredentialFacts {
            kind: CredentialKind::IamRole,
            provider: "aws".into(),
            ..quiet()
        };
        assert!(
            fires(&role, STATIC_WHERE_FEDERATION).is_none(),
            "a role is no static secret"
        );
    }

    #[test]
    fn admin_or_wildcard_fires_for_wildcard_or_admin_scopes_and_admin_reach() {
        let wildcard = CredentialFacts {
            scopes: "s3:* dynamodb:Query".into(),
            ..quiet()
        };
        assert_eq!(
            fires(&wildcard, ADMIN_OR_WILDCARD).unwrap().evidence,
            "wildcard scope s3:*"
        );
        let admin = CredentialFacts {
            reach: vec![reach(
                "orders-db",
                Environment::Prod,
                Sensitivity::Restricted,
                Permission::Admin,
            )],
            ..quiet()
        };
        assert_eq!(
            fires(&admin, ADMIN_OR_WILDCARD).unwrap().evidence,
            "admin on 1 resource: orders-db"
        );
        let org = CredentialFacts {
            scopes: "read:org admin:org".into(),
            ..quiet()
        };
        assert!(fires(&org, ADMIN_OR_WILDCARD).is_some());
        let narrow = CredentialFacts {
            scopes: "repo".into(),
            reach: vec![reach(
                "docs",
                Environment::Dev,
                Sensitivity::Internal,
                Permission::Write,
            )],
            ..quiet()
        };
        assert!(fires(&narrow, ADMIN_OR_WILDCARD).is_none());
    }

    #[test]
    fn unused_permissions_fire_when_activity_shows_reach_never_used() {
        let mut used = reach(
            "orders-db",
            Environment::Prod,
            Sensitivity::Internal,
            Permission::Read,
        );
        used.used = true;
        let unused = reach(
            "billing-db",
            Environment::Prod,
            Sensitivity::Internal,
            Permission::Read,
        );
        let facts = CredentialFacts {
            reach: vec![used.clone(), unused],
            has_activity: true,
            ..quiet()
        };
        assert_eq!(
            fires(&facts, UNUSED_PERMISSIONS).unwrap().evidence,
            "reaches 2 resources, used 1 in recorded activity; never used: billing-db"
        );
        let unknown = CredentialFacts {
            has_activity: false,
            ..facts.clone()
        };
        assert!(
            fires(&unknown, UNUSED_PERMISSIONS).is_none(),
            "without activity nothing is known"
        );
        let all_used = CredentialFacts {
            reach: vec![used],
            ..facts
        };
        assert!(fires(&all_used, UNUSED_PERMISSIONS).is_none());
    }

    #[test]
    fn wide_blast_radius_weighs_sensitivity_permission_and_production() {
        let wide = CredentialFacts {
            reach: vec![reach(
                "vault",
                Environment::Prod,
                Sensitivity::Restricted,
                Permission::Write,
            )],
            ..quiet()
        };
        let assessment = assess_credential(&wide, now());
        assert_eq!(assessment.blast_radius, 20, "5 restricted × 2 write × 2 prod");
        let factor = fires(&wide, WIDE_BLAST_RADIUS).unwrap();
        assert_eq!(factor.weight, 4);
        assert!(
            factor.evidence.contains("1 restricted, 1 in production"),
            "{}",
            factor.evidence
        );
        let narrow = CredentialFacts {
            reach: vec![reach(
                "site",
                Environment::Prod,
                Sensitivity::Public,
                Permission::Admin,
            )],
            ..quiet()
        };
        assert!(fires(&narrow, WIDE_BLAST_RADIUS).is_none());
        let huge: Vec<Reach> = (0..20)
            .map(|n| {
                reach(
                    &format!("db-{n}"),
                    Environment::Prod,
                    Sensitivity::Restricted,
                    Permission::Admin,
                )
            })
            .collect();
        assert_eq!(blast_radius(&huge), 100, "capped");
    }

    #[test]
    fn static_secret_in_ci_fires_for_a_static_secret_in_a_pipeline() {
        let ci = Copies::from_iter([copy(CopyKind::CiConfig, "github-actions://acme/api/secrets/KEY")]);
        let facts = CredentialFacts {
            copies: ci.clone(),
            ..quiet_static()
        };
        assert!(fires(&facts, STATIC_SECRET_IN_CI).is_some());
        let federated = CredentialFacts {
            copies: ci,
            ..quiet()
        };
        assert!(fires(&federated, STATIC_SECRET_IN_CI).is_none());
    }

    #[test]
    fn no_expiry_fires_for_a_static_secret_without_an_expiry() {
        let forever = CredentialFacts {
            expires_at: None,
            ..quiet_static()
        };
        assert!(fires(&forever, NO_EXPIRY).is_some());
        assert!(fires(&quiet_static(), NO_EXPIRY).is_none());
        assert!(
            fires(&quiet(), NO_EXPIRY).is_none(),
            "federation has no secret to expire"
        );
    }

    #[test]
    fn not_rotated_fires_after_90_days_without_rotation() {
        let old = CredentialFacts {
            created_at: days_ago(500),
            last_rotated_at: Some(days_ago(412)),
            ..quiet_static()
        };
        assert_eq!(
            fires(&old, NOT_ROTATED).unwrap().evidence,
            "last rotated 412 days ago"
        );
        let never = CredentialFacts {
            last_rotated_at: None,
            ..old.clone()
        };
        assert_eq!(
            fires(&never, NOT_ROTATED).unwrap().evidence,
            "never rotated in the 500 days since creation"
        );
        let fresh = CredentialFacts {
            last_rotated_at: Some(days_ago(30)),
            ..old
        };
        assert!(fires(&fresh, NOT_ROTATED).is_none());
    }

    #[test]
    fn prod_and_nonprod_fires_when_one_credential_spans_environments() {
        let spans = CredentialFacts {
            reach: vec![
                reach(
                    "orders",
                    Environment::Prod,
                    Sensitivity::Internal,
                    Permission::Read,
                ),
                reach(
                    "orders-dev",
                    Environment::Dev,
                    Sensitivity::Internal,
                    Permission::Read,
                ),
            ],
            ..quiet()
        };
        assert_eq!(
            fires(&spans, PROD_AND_NONPROD).unwrap().evidence,
            "reaches prod and dev"
        );
        let prod_only = CredentialFacts {
            reach: vec![reach(
                "orders",
                Environment::Prod,
                Sensitivity::Internal,
                Permission::Read,
            )],
            ..quiet()
        };
        assert!(fires(&prod_only, PROD_AND_NONPROD).is_none());
    }

    #[test]
    fn endpoint_against_prod_fires_for_a_laptop_agent_acting_on_production() {
        let mut prod = reach(
            "orders",
            Environment::Prod,
            Sensitivity::Internal,
            Permission::Read,
        );
        prod.used = true;
        let facts = CredentialFacts {
            reach: vec![prod],
            has_activity: true,
            agents: vec![agent("cursor-ada", AgentCategory::CodingEndpoint)],
            ..quiet()
        };
        assert!(fires(&facts, ENDPOINT_AGAINST_PROD).is_some());
        let server = CredentialFacts {
            agents: vec![agent("triage-bot", AgentCategory::SelfHosted)],
            ..facts.clone()
        };
        assert!(fires(&server, ENDPOINT_AGAINST_PROD).is_none());
        let idle = CredentialFacts {
            reach: vec![reach(
                "orders",
                Environment::Prod,
                Sensitivity::Internal,
                Permission::Read,
            )],
            ..facts
        };
        assert!(
            fires(&idle, ENDPOINT_AGAINST_PROD).is_none(),
            "reach alone is not use"
        );
    }

    #[test]
    fn shared_credential_fires_for_several_agents_or_tools() {
        let shared = CredentialFacts {
            agents: vec![agent("a", AgentCategory::Cloud), agent("b", AgentCategory::Cloud)],
            ..quiet()
        };
        assert!(fires(&shared, SHARED_CREDENTIAL).is_some());
        let tools = CredentialFacts { tools: 2, ..quiet() };
        assert!(fires(&tools, SHARED_CREDENTIAL).is_some());
        let single = CredentialFacts {
            agents: vec![agent("a", AgentCategory::Cloud)],
            ..quiet()
        };
        assert!(fires(&single, SHARED_CREDENTIAL).is_none());
    }

    #[test]
    fn human_use_fires_for_interactive_events() {
        let facts = CredentialFacts {
            human_use: Some(HumanUse {
                events: 2,
                console: true,
                last: "2026-10-02T09:00:00Z".parse().unwrap(),
            }),
            ..quiet()
        };
        assert_eq!(
            fires(&facts, HUMAN_USE).unwrap().evidence,
            "console sign-in seen, last on 2026-10-02 (2 interactive events)"
        );
        assert!(fires(&quiet(), HUMAN_USE).is_none());
    }

    /// Everything at once.
    fn worst() -> CredentialFacts {
        CredentialFacts {
            kind: CredentialKind::AccessKey,
            provider: "aws".into(),
            scopes: "*:*".into(),
            third_party: Some("Zapier".into()),
            created_at: days_ago(900),
            expires_at: None,
            last_used_at: Some(days_ago(200)),
            owner: None,
            copies: Copies::from_iter([copy(CopyKind::EnvFile, "a"), copy(CopyKind::CiConfig, "b")]),
            human_use: Some(HumanUse {
                events: 1,
                console: true,
                last: days_ago(3),
            }),
            ..quiet()
        }
    }

    #[test]
    fn behaviour_findings_fire_their_factors_for_30_days() {
        let finding = |kind, days| Finding {
            kind,
            evidence: format!("{kind} {days} days ago"),
            occurred_at: days_ago(days),
        };
        let facts = CredentialFacts {
            findings: vec![
                finding(BehaviourFindingKind::NewNetwork, 40),
                finding(BehaviourFindingKind::NewNetwork, 3),
                finding(BehaviourFindingKind::NewNetwork, 2),
                finding(BehaviourFindingKind::NewResource, 5),
                finding(BehaviourFindingKind::RateSpike, 1),
                finding(BehaviourFindingKind::HumanUse, 1),
                finding(BehaviourFindingKind::EndpointAgainstProd, 1),
            ],
            ..quiet()
        };
        let network = fires(&facts, UNUSUAL_NETWORK).expect("a new network fires");
        assert_eq!(
            network.evidence,
            "2 in 30 days, the latest: new_network 2 days ago"
        );
        assert_eq!(
            fires(&facts, UNUSUAL_RESOURCE).unwrap().evidence,
            "new_resource 5 days ago"
        );
        for spec in [RATE_SPIKE, HUMAN_USE, ENDPOINT_AGAINST_PROD] {
            assert!(fires(&facts, spec).is_some(), "{}", spec.code);
        }
        let old = CredentialFacts {
            findings: vec![finding(BehaviourFindingKind::NewNetwork, 31)],
            ..quiet()
        };
        assert!(
            fires(&old, UNUSUAL_NETWORK).is_none(),
            "a month on, it no longer weighs"
        );
    }

    #[test]
    fn scores_sum_the_weights_up_to_100_heaviest_first_and_only_while_active() {
        let assessment = assess_credential(&worst(), now());
        assert_eq!(assessment.score, 100);
        let weights: Vec<i64> = assessment.factors.iter().map(|f| f.weight).collect();
        let mut sorted = weights.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(weights, sorted);
        assert_eq!(
            assessment,
            assess_credential(&worst(), now()),
            "the same facts, the same score"
        );
        for status in [
            CredentialStatus::Revoked,
            CredentialStatus::Disabled,
            CredentialStatus::Expired,
        ] {
            let dead = CredentialFacts { status, ..worst() };
            assert_eq!(assess_credential(&dead, now()).score, 0, "{status:?}");
        }
        assert!(
            assessment.reference_mask() & (1 << 9) != 0,
            "NHI10 is in the mask"
        );
    }

    fn quiet_agent() -> AgentFacts {
        AgentFacts {
            category: AgentCategory::SelfHosted,
            sanctioned: true,
            first_seen: days_ago(300),
            last_seen: Some(days_ago(1)),
            owner: Some(Person {
                name: "Ada".into(),
                departed: false,
            }),
            credentials: Vec::new(),
            attestation: Attestation::NotExpected,
        }
    }

    fn held(name: &str, kind: CredentialKind, facts: &CredentialFacts) -> HeldCredential {
        HeldCredential {
            name: name.into(),
            kind,
            status: facts.status,
            assessment: assess_credential(facts, now()),
        }
    }

    fn agent_fires(facts: &AgentFacts, spec: FactorSpec) -> Option<Fired> {
        assess_agent(facts, now())
            .factors
            .into_iter()
            .find(|f| f.code == spec.code)
    }

    #[test]
    fn a_quiet_agent_scores_zero() {
        assert_eq!(assess_agent(&quiet_agent(), now()).score, 0);
    }

    #[test]
    fn an_agent_without_an_owner_or_with_a_departed_one_is_flagged() {
        assert_eq!(
            agent_fires(
                &AgentFacts {
                    owner: None,
                    ..quiet_agent()
                },
                NO_OWNER
            )
            .unwrap()
            .weight,
            20
        );
        let departed = AgentFacts {
            owner: Some(Person {
                name: "Grace".into(),
                departed: true,
            }),
            ..quiet_agent()
        };
        assert_eq!(agent_fires(&departed, OWNER_DEPARTED).unwrap().weight, 25);
        assert!(agent_fires(&quiet_agent(), OWNER_DEPARTED).is_none());
    }

    #[test]
    fn shadow_agent_fires_for_an_unsanctioned_agent() {
        assert!(
            agent_fires(
                &AgentFacts {
                    sanctioned: false,
                    ..quiet_agent()
                },
                SHADOW_AGENT
            )
            .is_some()
        );
        assert!(agent_fires(&quiet_agent(), SHADOW_AGENT).is_none());
    }

    #[test]
    fn idle_agent_active_keys_fires_only_while_its_keys_are_active() {
        let key = held("deploy-key", CredentialKind::ApiKey, &quiet_static());
        let idle = AgentFacts {
            last_seen: Some(days_ago(120)),
            credentials: vec![key.clone()],
            ..quiet_agent()
        };
        assert_eq!(
            agent_fires(&idle, IDLE_AGENT_ACTIVE_KEYS).unwrap().evidence,
            "last seen 120 days ago; 1 credential still active"
        );
        let revoked = AgentFacts {
            credentials: vec![HeldCredential {
                status: CredentialStatus::Revoked,
                ..key.clone()
            }],
            ..idle.clone()
        };
        assert!(agent_fires(&revoked, IDLE_AGENT_ACTIVE_KEYS).is_none());
        let busy = AgentFacts {
            last_seen: Some(days_ago(2)),
            ..idle
        };
        assert!(agent_fires(&busy, IDLE_AGENT_ACTIVE_KEYS).is_none());
    }

    #[test]
    fn coding_agent_human_credential_fires_for_a_laptop_agent_with_a_personal_token() {
        let token = held(
            "ada-github-pat",
            CredentialKind::PersonalAccessToken,
            &quiet_static(),
        );
        let laptop = AgentFacts {
            category: AgentCategory::CodingEndpoint,
            credentials: vec![token.clone()],
            ..quiet_agent()
        };
        assert!(agent_fires(&laptop, CODING_AGENT_HUMAN_CREDENTIAL).is_some());
        let server = AgentFacts {
            category: AgentCategory::SelfHosted,
            ..laptop
        };
        assert!(agent_fires(&server, CODING_AGENT_HUMAN_CREDENTIAL).is_none());
    }

    #[test]
    fn an_agent_inherits_half_its_riskiest_active_credential() {
        let bad = held("leaky", CredentialKind::AccessKey, &worst());
        let mild = held(
            "mild",
            CredentialKind::ApiKey,
            &CredentialFacts {
                owner: None,
                ..quiet_static()
            },
        );
        let facts = AgentFacts {
            credentials: vec![mild, bad.clone()],
            ..quiet_agent()
        };
        let factor = agent_fires(&facts, RISKIEST_CREDENTIAL).unwrap();
        assert_eq!(factor.weight, 50);
        assert!(
            factor.evidence.starts_with("leaky scores 100: "),
            "{}",
            factor.evidence
        );
        assert_eq!(factor.reference, bad.assessment.leading().unwrap().reference);
        let revoked = AgentFacts {
            credentials: vec![HeldCredential {
                status: CredentialStatus::Revoked,
                ..bad
            }],
            ..quiet_agent()
        };
        assert!(agent_fires(&revoked, RISKIEST_CREDENTIAL).is_none());
    }

    #[test]
    fn every_factor_is_documented_with_its_reference() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/risk-model.md"))
            .expect("docs/risk-model.md exists");
        assert!(
            doc.contains(MODEL_VERSION),
            "the document names model {MODEL_VERSION}"
        );
        for spec in CATALOGUE {
            let row = doc
                .lines()
                .find(|line| line.contains(&format!("`{}`", spec.code)))
                .unwrap_or_else(|| panic!("docs/risk-model.md does not document `{}`", spec.code));
            if spec.reference > 0 {
                assert!(row.contains(&format!("NHI{}", spec.reference)), "{row}");
            }
        }
    }

    #[test]
    fn an_item_never_attested_in_a_campaign_that_came_due_scores_the_attestation_factor() {
        let facts = CredentialFacts {
            attestation: Attestation::Never,
            ..quiet()
        };
        let assessment = assess_credential(&facts, now());
        assert_eq!(assessment.score, 10);
        assert_eq!(assessment.factors[0].code, NOT_ATTESTED.code);
        assert_eq!(
            assessment.factors[0].evidence,
            "never attested in an access review"
        );
        let agent = assess_agent(
            &AgentFacts {
                attestation: Attestation::Never,
                ..quiet_agent()
            },
            now(),
        );
        assert_eq!(agent.score, 10);
    }

    #[test]
    fn an_attestation_counts_for_a_review_cycle_then_goes_stale() {
        let at = |days| Attestation::Last {
            at: days_ago(days),
            by: "ada@example.com".into(),
            cycle: None,
        };
        let fresh = CredentialFacts {
            attestation: at(REVIEW_CYCLE_DAYS),
            ..quiet()
        };
        assert_eq!(assess_credential(&fresh, now()).score, 0);
        let stale = CredentialFacts {
            attestation: at(REVIEW_CYCLE_DAYS + 1),
            ..quiet()
        };
        let assessment = assess_credential(&stale, now());
        assert_eq!(assessment.score, 5);
        assert!(
            assessment.factors[0]
                .evidence
                .contains("by ada@example.com, more than a review cycle"),
            "{}",
            assessment.factors[0].evidence
        );
        // Nothing expected yet, or a revoked key: silent.
        assert_eq!(assess_credential(&quiet(), now()).score, 0);
        let revoked = CredentialFacts {
            status: CredentialStatus::Revoked,
            attestation: Attestation::Never,
            ..quiet()
        };
        assert_eq!(assess_credential(&revoked, now()).score, 0);
    }

    #[test]
    fn under_a_repeating_review_an_attestation_goes_stale_once_the_next_cycle_comes_due() {
        let under = |days, cadence| CredentialFacts {
            attestation: Attestation::Last {
                at: days_ago(days),
                by: "ada@example.com".into(),
                cycle: Some(ReviewCycle {
                    cadence,
                    window: Duration::days(14),
                }),
            },
            ..quiet()
        };
        let month = json::ReviewCadence::Monthly;
        // The next cycle has opened but is not yet due: still vouched for.
        assert_eq!(assess_credential(&under(40, month), now()).score, 0);
        let assessment = assess_credential(&under(46, month), now());
        assert_eq!(assessment.score, 5);
        assert!(
            assessment.factors[0]
                .evidence
                .ends_with("more than a review cycle ago (reviewed every month, with 14 days to decide)"),
            "{}",
            assessment.factors[0].evidence
        );
        // A yearly review vouches for longer than the default quarter.
        let year = json::ReviewCadence::Yearly;
        assert_eq!(
            assess_credential(&under(REVIEW_CYCLE_DAYS + 30, year), now()).score,
            0
        );
        assert_eq!(assess_credential(&under(366 + 15, year), now()).score, 5);
    }
}
