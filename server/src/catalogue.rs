//! The catalogue of AI applications: the built-in entries
//! (`server/catalogue/ai-apps.yaml`, versioned with the code) and the
//! admins' own (table `ai_app`), and how an application a platform names is
//! matched against them: by client id or GitHub app slug (exact), by
//! verified publisher, or by name (the weakest: anyone can name an app so).

use std::collections::HashMap;
use std::sync::LazyLock;

use model::api::{self as json, AppMatch};
use serde::Deserialize;

/// The application holding a grant, as the platform describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct App {
    /// Its OAuth client id or application id.
    pub client_id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its verified publisher or publisher domain.
    pub publisher: Option<String>,
    /// Its GitHub app slug.
    pub github_app: Option<String>,
}

/// The built-in catalogue's text.
const BUILT_IN: &str = include_str!("../catalogue/ai-apps.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    apps: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    name: String,
    vendor: String,
    #[serde(default)]
    client_ids: Vec<String>,
    #[serde(default)]
    github_apps: Vec<String>,
    #[serde(default)]
    publishers: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
}

/// The built-in entries, read once (the file is checked by a unit test).
pub static BUILT_IN_APPS: LazyLock<Vec<json::AiApp>> = LazyLock::new(|| {
    let file: File = serde_norway::from_str(BUILT_IN).expect("the built-in catalogue is valid (tested)");
    assert_eq!(file.version, 1, "the built-in catalogue's version");
    file.apps
        .into_iter()
        .map(|e| json::AiApp {
            key: e.key,
            name: e.name,
            vendor: e.vendor,
            client_ids: e.client_ids,
            github_apps: e.github_apps,
            publishers: e.publishers,
            names: e.names,
            builtin: true,
        })
        .collect()
});

/// A match: the entry and how sure it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The entry's key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its vendor.
    pub vendor: String,
    /// How sure.
    pub how: AppMatch,
    /// What matched, in words.
    pub on: String,
}

/// The catalogue, indexed for matching.
pub struct Catalogue {
    entries: Vec<json::AiApp>,
    exact: HashMap<String, usize>,
    github: HashMap<String, usize>,
    publishers: HashMap<String, usize>,
    names: HashMap<String, usize>,
}

impl Catalogue {
    /// The built-in entries and `added` (the admins'), which come first:
    /// an admin's entry stands over a built-in one for the same identifier.
    pub fn new(added: Vec<json::AiApp>) -> Self {
        let mut catalogue = Catalogue {
            entries: Vec::new(),
            exact: HashMap::new(),
            github: HashMap::new(),
            publishers: HashMap::new(),
            names: HashMap::new(),
        };
        for entry in added.into_iter().chain(BUILT_IN_APPS.iter().cloned()) {
            let n = catalogue.entries.len();
            for id in &entry.client_ids {
                catalogue.exact.entry(id.trim().to_lowercase()).or_insert(n);
            }
            for slug in &entry.github_apps {
                catalogue.github.entry(slug.trim().to_lowercase()).or_insert(n);
            }
            for publisher in &entry.publishers {
                catalogue
                    .publishers
                    .entry(publisher.trim().to_lowercase())
                    .or_insert(n);
            }
            for name in &entry.names {
                catalogue.names.entry(name.trim().to_lowercase()).or_insert(n);
            }
            catalogue.entries.push(entry);
        }
        catalogue
    }

    /// The entry with this key.
    pub fn entry(&self, key: &str) -> Option<&json::AiApp> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The entry `app` is, if any, by its surest identifier.
    pub fn find(&self, app: &App) -> Option<Matched> {
        let lower = |s: &Option<String>| s.as_deref().map(|s| s.trim().to_lowercase());
        let found = |n: usize, how: AppMatch, on: String| {
            let entry = &self.entries[n];
            Matched {
                key: entry.key.clone(),
                name: entry.name.clone(),
                vendor: entry.vendor.clone(),
                how,
                on,
            }
        };
        if let Some(id) = lower(&app.client_id)
            && let Some(n) = self.exact.get(&id)
        {
            return Some(found(
                *n,
                AppMatch::Exact,
                format!("client id {}", app.client_id.as_deref().unwrap_or("")),
            ));
        }
        if let Some(slug) = lower(&app.github_app)
            && let Some(n) = self.github.get(&slug)
        {
            return Some(found(*n, AppMatch::Exact, format!("GitHub app {slug}")));
        }
        if let Some(publisher) = lower(&app.publisher)
            && let Some(n) = self.publishers.get(&publisher)
        {
            return Some(found(
                *n,
                AppMatch::Publisher,
                format!("publisher {}", app.publisher.as_deref().unwrap_or("")),
            ));
        }
        if let Some(name) = lower(&app.name)
            && let Some(n) = self.names.get(&name)
        {
            return Some(found(
                *n,
                AppMatch::Name,
                format!("name {}", app.name.as_deref().unwrap_or("")),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_reads_and_its_keys_are_unique() {
        let keys: std::collections::HashSet<&str> = BUILT_IN_APPS.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys.len(), BUILT_IN_APPS.len());
        assert!(BUILT_IN_APPS.len() >= 15);
    }

    #[test]
    fn an_app_matches_by_its_surest_identifier_and_an_admins_entry_comes_first() {
        let admin = json::AiApp {
            key: "admin-1".into(),
            name: "ChatGPT (our tenant)".into(),
            vendor: "OpenAI".into(),
            client_ids: vec!["E0476654-C1D5".into()],
            github_apps: vec![],
            publishers: vec![],
            names: vec![],
            builtin: false,
        };
        let catalogue = Catalogue::new(vec![admin]);
        let by_id = catalogue
            .find(&App {
                client_id: Some("e0476654-c1d5".into()),
                name: Some("Claude".into()),
                ..App::default()
            })
            .unwrap();
        assert_eq!((by_id.key.as_str(), by_id.how), ("admin-1", AppMatch::Exact));
        let by_publisher = catalogue
            .find(&App {
                publisher: Some("Anthropic".into()),
                name: Some("Something".into()),
                ..App::default()
            })
            .unwrap();
        assert_eq!(
            (by_publisher.key.as_str(), by_publisher.how),
            ("claude", AppMatch::Publisher)
        );
        let by_name = catalogue
            .find(&App {
                name: Some(" chatgpt ".into()),
                ..App::default()
            })
            .unwrap();
        assert_eq!((by_name.key.as_str(), by_name.how), ("chatgpt", AppMatch::Name));
        let slug = catalogue
            .find(&App {
                github_app: Some("claude".into()),
                ..App::default()
            })
            .unwrap();
        assert_eq!(slug.how, AppMatch::Exact);
        assert_eq!(
            catalogue.find(&App {
                name: Some("Expense Helper".into()),
                ..App::default()
            }),
            None
        );
    }
}
