//! The one place that knows the app's paths: navigation, links and the router
//! all take them from here, and which roles may open each screen (the server
//! enforces the same on every API route; the app only hides what would fail).

use model::api::{AuditTarget, NodeKind, Role, TargetKind};

/// A screen reachable from the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Posture at a glance, for the CISO.
    Overview,
    /// Every agent, credential, copy, resource and person.
    Inventory,
    /// A manager's teams: coverage, the claim inbox, orphans, transfers.
    Teams,
    /// The lineage graph explorer.
    Graph,
    /// Credentials being revoked, and the copies left to clean up.
    Revocations,
    /// Sensitive operations waiting for a decision.
    Approvals,
    /// Access reviews: who vouched for each agent's and credential's access,
    /// what is left to decide, and the evidence pack for auditors.
    Reviews,
    /// What each person hears of, the organisation's channels, and the outbox.
    Notifications,
    /// Scanner reports and CloudTrail logs read into the inventory.
    Imports,
    /// The tamper-evident audit log.
    Audit,
    /// Accounts and their roles.
    Admin,
}

impl Screen {
    /// The screens in navigation order.
    pub const ALL: [Screen; 11] = [
        Screen::Overview,
        Screen::Inventory,
        Screen::Teams,
        Screen::Graph,
        Screen::Revocations,
        Screen::Approvals,
        Screen::Reviews,
        Screen::Notifications,
        Screen::Imports,
        Screen::Audit,
        Screen::Admin,
    ];

    /// The roles that may open the screen; `None` for every signed-in person.
    pub fn roles(self) -> Option<&'static [Role]> {
        match self {
            Screen::Overview
            | Screen::Inventory
            | Screen::Graph
            | Screen::Revocations
            | Screen::Reviews
            | Screen::Notifications => None,
            Screen::Teams => Some(&[Role::Manager, Role::Ciso, Role::Admin]),
            Screen::Approvals => Some(&[Role::Approver, Role::Ciso, Role::Admin]),
            Screen::Audit => Some(&[Role::Ciso, Role::Admin]),
            Screen::Admin | Screen::Imports => Some(&[Role::Admin]),
        }
    }

    /// Whether somebody holding `roles` may open the screen.
    pub fn open_to(self, roles: &[Role]) -> bool {
        self.roles()
            .is_none_or(|allowed| roles.iter().any(|r| allowed.contains(r)))
    }

    /// The screen's path.
    pub fn path(self) -> &'static str {
        match self {
            Screen::Overview => "/",
            Screen::Inventory => "/inventory",
            Screen::Teams => "/teams",
            Screen::Graph => "/graph",
            Screen::Revocations => "/revocations",
            Screen::Approvals => "/approvals",
            Screen::Reviews => "/reviews",
            Screen::Notifications => "/notifications",
            Screen::Imports => "/imports",
            Screen::Audit => "/audit",
            Screen::Admin => "/admin",
        }
    }

    /// The screen's name in the navigation and its heading.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Inventory => "Inventory",
            Screen::Teams => "My teams",
            Screen::Graph => "Graph",
            Screen::Revocations => "Revocations",
            Screen::Approvals => "Approvals",
            Screen::Reviews => "Reviews",
            Screen::Notifications => "Notifications",
            Screen::Imports => "Imports",
            Screen::Audit => "Audit",
            Screen::Admin => "Admin",
        }
    }

    /// The question the screen answers, shown under its heading.
    pub fn question(self) -> &'static str {
        match self {
            Screen::Overview => "How exposed are we?",
            Screen::Inventory => "Which agents, credentials and copies exist, and who owns them?",
            Screen::Teams => {
                "What do my teams own, what near us has no owner, and is our coverage improving?"
            }
            Screen::Graph => "Who reaches what, through which agent, tool and credential?",
            Screen::Revocations => "Which credentials are being revoked, and what is left to clean up?",
            Screen::Approvals => "What is waiting for me, and is it safe?",
            Screen::Reviews => "Who vouched for each agent's access, and what is left to decide?",
            Screen::Notifications => "Who hears of what, and did it reach them?",
            Screen::Imports => "What did our scanners and logs bring in, and what did it change?",
            Screen::Audit => "Who changed what, and is the log intact?",
            Screen::Admin => "Who may sign in, and what may each person do?",
        }
    }

    /// A one-letter glyph for the navigation (never colour alone).
    pub fn glyph(self) -> &'static str {
        match self {
            Screen::Overview => "◎",
            Screen::Inventory => "☰",
            Screen::Teams => "⚑",
            Screen::Graph => "⋔",
            Screen::Revocations => "⊘",
            Screen::Approvals => "✓",
            Screen::Reviews => "☑",
            Screen::Notifications => "✉",
            Screen::Imports => "⇪",
            Screen::Audit => "§",
            Screen::Admin => "⚙",
        }
    }
}

/// The approval policy's page.
pub const APPROVAL_POLICY: &str = "/approvals/policy";

/// A revocation's page, e.g. `/revocations/4`.
pub fn revocation_path(id: i64) -> String {
    format!("{}/{id}", Screen::Revocations.path())
}

/// The "what breaks" plan of revoking a credential, with the form that revokes it.
pub fn revoke_path(credential: i64) -> String {
    format!("{}/new?credential={credential}", Screen::Revocations.path())
}

/// An access review's page, e.g. `/reviews/3` (its items' filters follow as a query).
pub fn review_path(id: i64) -> String {
    format!("{}/{id}", Screen::Reviews.path())
}

/// A request in the approvals inbox, selected, e.g. `/approvals?request=12`.
pub fn approval_path(id: i64) -> String {
    format!("{}?request={id}", Screen::Approvals.path())
}

/// An inventory list with filters, e.g. `/inventory/credentials?band=critical`.
pub fn inventory_path(list: &str, filters: &[(&str, &str)]) -> String {
    let query: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut path = format!("{}/{list}", Screen::Inventory.path());
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query.join("&"));
    }
    path
}

/// An entity's page, e.g. `/inventory/agents/12`.
pub fn entity_path(list: &str, id: i64) -> String {
    format!("{}/{list}/{id}", Screen::Inventory.path())
}

/// The inventory list that holds a kind of entity (`credentials`, `people`, ...).
pub fn list_of(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Team => "teams",
        NodeKind::Person => "people",
        NodeKind::Agent => "agents",
        NodeKind::Tool => "tools",
        NodeKind::Credential => "credentials",
        NodeKind::Copy => "copies",
        NodeKind::Resource => "resources",
    }
}

/// The page of an entity of any kind (a search hit, a graph node).
pub fn node_path(kind: NodeKind, id: i64) -> String {
    entity_path(list_of(kind), id)
}

/// The graph explorer started at an entity, e.g. `/graph?node=credential:12`;
/// `blast` opens it in blast-radius mode.
pub fn graph_path(kind: NodeKind, id: i64, blast: bool) -> String {
    let mode = if blast {
        GraphMode::Blast
    } else {
        GraphMode::Lineage
    };
    graph_state(&format!("{}:{id}", kind.as_str()), mode, None, &[])
}

/// What the graph explorer draws from its start node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphMode {
    /// The start's own chain, upstream and downstream.
    Lineage,
    /// A credential's reach brought out, ranked.
    Blast,
    /// Every path that reaches the start (a resource, credential, tool or agent).
    Paths,
}

impl GraphMode {
    /// The mode named in an address (`mode=blast`, `mode=paths`).
    pub fn from_query(mode: Option<&str>) -> GraphMode {
        match mode {
            Some("blast") => GraphMode::Blast,
            Some("paths") => GraphMode::Paths,
            _ => GraphMode::Lineage,
        }
    }

    fn query(self) -> &'static str {
        match self {
            GraphMode::Lineage => "",
            GraphMode::Blast => "&mode=blast",
            GraphMode::Paths => "&mode=paths",
        }
    }
}

/// The graph explorer's whole state as an address, so that a view can be
/// shared or reloaded: its start node (`<kind>:<id>`), its mode, the node
/// every path must come from (paths mode), and the nodes and folds opened.
pub fn graph_state(node: &str, mode: GraphMode, from: Option<&str>, expanded: &[String]) -> String {
    let mut path = format!("{}?node={node}{}", Screen::Graph.path(), mode.query());
    if let Some(from) = from {
        path.push_str("&from=");
        path.push_str(from);
    }
    if !expanded.is_empty() {
        path.push_str("&expanded=");
        path.push_str(&expanded.join(","));
    }
    path
}

/// Who can reach `to` (`<kind>:<id>`), drawn; through `from` when given.
pub fn graph_paths(to: &str, from: Option<&str>) -> String {
    graph_state(to, GraphMode::Paths, from, &[])
}

/// The page of what an audit entry touched (`agent:12`, `account:3`, ...).
/// Accounts have no page of their own: their link is their audit history.
pub fn target_path(target: &str) -> Option<String> {
    let target: AuditTarget = target.parse().ok()?;
    let id: i64 = target.id.parse().ok()?;
    if target.kind == TargetKind::Account {
        return Some(format!("{}?target={target}", Screen::Audit.path()));
    }
    Some(node_path(target.kind.node()?, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_targets_link_to_their_entity_or_to_their_history() {
        assert_eq!(target_path("agent:12").as_deref(), Some("/inventory/agents/12"));
        assert_eq!(target_path("copy:3").as_deref(), Some("/inventory/copies/3"));
        assert_eq!(
            target_path("account:3").as_deref(),
            Some("/audit?target=account:3")
        );
        assert_eq!(target_path("agent:x"), None);
        assert_eq!(target_path("settings"), None);
        assert_eq!(target_path("robot:1"), None);
    }

    #[test]
    fn the_graph_opens_at_a_node_in_either_mode() {
        assert_eq!(graph_path(NodeKind::Agent, 4, false), "/graph?node=agent:4");
        assert_eq!(
            graph_path(NodeKind::Credential, 9, true),
            "/graph?node=credential:9&mode=blast"
        );
        assert_eq!(
            graph_state(
                "resource:3",
                GraphMode::Paths,
                Some("agent:2"),
                &["tool:1".into(), "fold:agent:tool:1".into()]
            ),
            "/graph?node=resource:3&mode=paths&from=agent:2&expanded=tool:1,fold:agent:tool:1"
        );
        assert_eq!(GraphMode::from_query(Some("paths")), GraphMode::Paths);
        assert_eq!(GraphMode::from_query(None), GraphMode::Lineage);
    }

    #[test]
    fn each_screen_opens_to_the_roles_the_api_serves() {
        assert!(Screen::Inventory.open_to(&[Role::Viewer]));
        assert!(!Screen::Audit.open_to(&[Role::Viewer, Role::Manager]));
        assert!(Screen::Audit.open_to(&[Role::Viewer, Role::Ciso]));
        assert!(!Screen::Admin.open_to(&[Role::Ciso]));
        assert!(Screen::Admin.open_to(&[Role::Admin]));
        assert!(Screen::Notifications.open_to(&[Role::Viewer]));
        assert!(Screen::Reviews.open_to(&[Role::Viewer]));
    }
}
