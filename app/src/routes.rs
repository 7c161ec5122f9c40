//! The one place that knows the app's paths: navigation, links and the router
//! all take them from here.

/// A screen reachable from the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Posture at a glance, for the CISO.
    Overview,
    /// Every agent, credential, copy, resource and person.
    Inventory,
    /// The lineage graph explorer.
    Graph,
    /// Sensitive operations waiting for a decision.
    Approvals,
    /// The tamper-evident audit log.
    Audit,
}

impl Screen {
    /// The screens in navigation order.
    pub const ALL: [Screen; 5] = [
        Screen::Overview,
        Screen::Inventory,
        Screen::Graph,
        Screen::Approvals,
        Screen::Audit,
    ];

    /// The screen's path.
    pub fn path(self) -> &'static str {
        match self {
            Screen::Overview => "/",
            Screen::Inventory => "/inventory",
            Screen::Graph => "/graph",
            Screen::Approvals => "/approvals",
            Screen::Audit => "/audit",
        }
    }

    /// The screen's name in the navigation and its heading.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Inventory => "Inventory",
            Screen::Graph => "Graph",
            Screen::Approvals => "Approvals",
            Screen::Audit => "Audit",
        }
    }

    /// The question the screen answers, shown under its heading.
    pub fn question(self) -> &'static str {
        match self {
            Screen::Overview => "How exposed are we?",
            Screen::Inventory => "Which agents, credentials and copies exist, and who owns them?",
            Screen::Graph => "Who reaches what, through which agent, tool and credential?",
            Screen::Approvals => "What is waiting for me, and is it safe?",
            Screen::Audit => "Who changed what, and is the log intact?",
        }
    }

    /// A one-letter glyph for the navigation (never colour alone).
    pub fn glyph(self) -> &'static str {
        match self {
            Screen::Overview => "◎",
            Screen::Inventory => "☰",
            Screen::Graph => "⋔",
            Screen::Approvals => "✓",
            Screen::Audit => "§",
        }
    }
}
