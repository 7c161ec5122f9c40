//! Which of the provider's groups (or app roles) give which of Muster's
//! roles: `--oidc-role-map GROUP=ROLE,...`.

use model::api::Role;

/// One line of the map: members of `group` hold `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    /// The group's name or id as the roles claim lists it (compared exactly).
    pub group: String,
    /// The role it gives.
    pub role: Role,
}

impl std::str::FromStr for RoleMapping {
    type Err = String;

    /// `GROUP=ROLE`; the last `=` separates them, so a group may contain one.
    fn from_str(text: &str) -> Result<Self, String> {
        let (group, role) = text
            .trim()
            .rsplit_once('=')
            .ok_or_else(|| format!("{text:?} is not GROUP=ROLE"))?;
        let group = group.trim();
        if group.is_empty() {
            return Err(format!("{text:?} names no group"));
        }
        let role = role.trim().parse::<Role>().map_err(|_| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("{role:?} is not one of Muster's roles ({})", names.join(", "))
        })?;
        Ok(Self {
            group: group.to_owned(),
            role,
        })
    }
}

/// The whole map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap(pub Vec<RoleMapping>);

impl RoleMap {
    /// The roles that `groups` give, in Muster's order, each once.
    pub fn roles(&self, groups: &[String]) -> Vec<Role> {
        Role::ALL
            .iter()
            .copied()
            .filter(|role| {
                self.0
                    .iter()
                    .any(|m| m.role == *role && groups.contains(&m.group))
            })
            .collect()
    }

    /// The groups of `groups` that the map names (for the audit log).
    pub fn matched<'a>(&self, groups: &'a [String]) -> Vec<&'a str> {
        groups
            .iter()
            .filter(|g| self.0.iter().any(|m| m.group == **g))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(lines: &[&str]) -> RoleMap {
        RoleMap(lines.iter().map(|l| l.parse().unwrap()).collect())
    }

    #[test]
    fn groups_give_their_roles_once_each_in_order() {
        let map = map(&[
            "sec=ciso",
            "sec=approver",
            "eng-leads=manager",
            "all=viewer",
            "a=b=admin",
        ]);
        let groups = |g: &[&str]| g.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            map.roles(&groups(&["all", "sec"])),
            vec![Role::Ciso, Role::Approver, Role::Viewer]
        );
        assert_eq!(map.roles(&groups(&["a=b"])), vec![Role::Admin]);
        assert!(
            map.roles(&groups(&["SEC", "other"])).is_empty(),
            "compared exactly"
        );
        assert_eq!(map.matched(&groups(&["other", "sec"])), vec!["sec"]);
    }

    #[test]
    fn a_bad_line_says_what_is_wrong() {
        assert!(
            "admins"
                .parse::<RoleMapping>()
                .unwrap_err()
                .contains("GROUP=ROLE")
        );
        assert!("=admin".parse::<RoleMapping>().unwrap_err().contains("no group"));
        assert!(
            "g=root"
                .parse::<RoleMapping>()
                .unwrap_err()
                .contains("admin, ciso")
        );
    }
}
