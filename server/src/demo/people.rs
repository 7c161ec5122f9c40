//! The demo organisation's teams (departments, their sub-teams and squads)
//! and people, with their names.

use crate::db::sql::{Value, timestamp};

use super::Generator;

const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Platform",
            "Payments",
            "Mobile",
            "Web",
            "Developer Experience",
            "Search",
        ],
    ),
    ("Data", &["Analytics", "Machine Learning", "Data Platform"]),
    ("Security", &["Security Operations", "Identity", "AppSec"]),
    ("Infrastructure", &["SRE", "Cloud", "Networking"]),
    ("IT", &["Workplace", "Corporate Systems"]),
    ("Sales", &["Sales Ops", "Solutions"]),
    ("Customer Success", &["Support", "Onboarding"]),
    ("Finance", &["Revenue Ops", "Procurement"]),
];

const FIRST_NAMES: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Beatriz", "Ben", "Chen", "Chloe", "Daniel", "Dmitri", "Elena",
    "Emeka", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Jana", "Jonas", "Kenji",
    "Lara", "Leila", "Lucas", "Maya", "Mateo", "Mei", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael",
    "Sara", "Sofia", "Tomas", "Yuki", "Zainab", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Adeyemi", "Alvarez", "Andersen", "Bauer", "Chen", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
    "Haddad", "Hoffmann", "Ibrahim", "Ito", "Jensen", "Kaur", "Kowalski", "Larsen", "Lopez", "Martin",
    "Mendes", "Moreau", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Petrov", "Rossi", "Sato",
    "Schmidt", "Silva", "Singh", "Tanaka", "Varga", "Weber", "Wong", "Yilmaz", "Zhang",
];

impl Generator<'_> {
    /// Team `i` (from 0): the departments first, then their sub-teams, then squads.
    pub(super) fn team_name_and_parent(i: usize) -> (String, Option<i64>) {
        let departments = DEPARTMENTS.len();
        if i < departments {
            return (DEPARTMENTS[i].0.to_owned(), None);
        }
        let named: usize = DEPARTMENTS.iter().map(|(_, subs)| subs.len()).sum();
        let j = i - departments;
        if j < named {
            let mut k = j;
            for (d, (_, subs)) in DEPARTMENTS.iter().enumerate() {
                if k < subs.len() {
                    return (subs[k].to_owned(), Some(d as i64 + 1));
                }
                k -= subs.len();
            }
        }
        // Squads hang under the named sub-teams, round robin.
        let squad = j - named;
        let parent = departments + squad % named;
        let (parent_name, _) = Self::team_name_and_parent(parent);
        (
            format!("{parent_name} Squad {}", squad / named + 1),
            Some(parent as i64 + 1),
        )
    }

    /// The rows of `team`.
    pub(super) fn teams(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        for i in 0..self.scale.teams {
            let (name, parent) = Self::team_name_and_parent(i);
            rows.extend([Value::Int(i as i64 + 1), name.into(), parent.into()]);
        }
        rows
    }

    /// The team of person `id`: deterministic, so later tables can find it.
    pub(super) fn team_of(&self, person: i64) -> i64 {
        // Leaves of the hierarchy get most people; departments keep a few leaders.
        let teams = self.scale.teams as i64;
        let first_leaf = DEPARTMENTS.len() as i64 + 1;
        if person <= DEPARTMENTS.len() as i64 {
            person
        } else {
            first_leaf + (person * 7919) % (teams - first_leaf + 1)
        }
    }

    /// The name and email of person `i`: deterministic, so later tables can find them.
    pub(super) fn person_name(i: i64) -> (String, String) {
        let first = FIRST_NAMES[(i as usize * 31) % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i as usize * 17 + i as usize / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let email = format!(
            "{}.{}{}@acme.example",
            first.to_lowercase(),
            last.to_lowercase(),
            i
        );
        (format!("{first} {last}"), email)
    }

    /// The rows of `person`: the first of a team manages those after; a few have left.
    pub(super) fn people(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut leads = std::collections::HashMap::new();
        for id in 1..=self.scale.people as i64 {
            let (name, email) = Self::person_name(id);
            let team = self.team_of(id);
            let manager = leads.get(&team).copied();
            leads.entry(team).or_insert(id);
            let departed = id > 20 && self.chance(0.05);
            let departed_at = departed.then(|| timestamp(self.days_ago(3, 200)));
            rows.extend([
                Value::Int(id),
                name.into(),
                email.into(),
                Value::Int(team),
                manager.into(),
                (if departed { "departed" } else { "active" }).into(),
                departed_at.into(),
            ]);
        }
        rows
    }
}
