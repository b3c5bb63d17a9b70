//! The role → permission matrix of DESIGN.md, as data in one place.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Responder,
    Deployer,
    Admin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Dashboard, services, deployments, incidents, runbooks.
    Read,
    /// Deploy, roll back, scale, restart.
    Deploy,
    /// Run and verify backups.
    RunBackup,
    RestoreBackup,
    /// Declare and update incidents, write the timeline.
    ManageIncidents,
    EditRunbooks,
    /// Read and export the audit log.
    ReadAudit,
    /// Users, endpoints, backup targets.
    Administer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Responder, Role::Deployer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Deployer => "deployer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What this role may do.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Viewer => &[Read],
            Role::Responder => &[Read, ManageIncidents, EditRunbooks],
            Role::Deployer => &[Read, Deploy, RunBackup, ManageIncidents, EditRunbooks],
            Role::Admin => &[
                Read,
                Deploy,
                RunBackup,
                RestoreBackup,
                ManageIncidents,
                EditRunbooks,
                ReadAudit,
                Administer,
            ],
        }
    }
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::Read,
        Permission::Deploy,
        Permission::RunBackup,
        Permission::RestoreBackup,
        Permission::ManageIncidents,
        Permission::EditRunbooks,
        Permission::ReadAudit,
        Permission::Administer,
    ];

    /// The name used in forms, the API and the database (`run_backup`).
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Deploy => "deploy",
            Permission::RunBackup => "run_backup",
            Permission::RestoreBackup => "restore_backup",
            Permission::ManageIncidents => "manage_incidents",
            Permission::EditRunbooks => "edit_runbooks",
            Permission::ReadAudit => "read_audit",
            Permission::Administer => "administer",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether any of `roles` grants this permission.
    pub fn granted_by(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| r.permissions().contains(&self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    /// The matrix of DESIGN.md, row by row: (permission, viewer, responder, deployer, admin).
    const MATRIX: &[(Permission, [bool; 4])] = &[
        (Read, [true, true, true, true]),
        (Deploy, [false, false, true, true]),
        (RunBackup, [false, false, true, true]),
        (RestoreBackup, [false, false, false, true]),
        (ManageIncidents, [false, true, true, true]),
        (EditRunbooks, [false, true, true, true]),
        (ReadAudit, [false, false, false, true]),
        (Administer, [false, false, false, true]),
    ];

    #[test]
    fn every_role_has_exactly_the_permissions_of_the_design_matrix() {
        assert_eq!(
            MATRIX.len(),
            Permission::ALL.len(),
            "a permission is missing from the matrix test"
        );
        for (permission, row) in MATRIX {
            for (role, expected) in Role::ALL.iter().zip(row) {
                assert_eq!(
                    permission.granted_by(&[*role]),
                    *expected,
                    "{role:?} / {permission:?}"
                );
            }
        }
    }

    #[test]
    fn several_roles_grant_the_union_of_their_permissions() {
        assert!(Deploy.granted_by(&[Role::Viewer, Role::Deployer]));
        assert!(!RestoreBackup.granted_by(&[Role::Responder, Role::Deployer]));
    }

    #[test]
    fn permission_names_match_their_serde_names() {
        for p in Permission::ALL {
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                serde_json::json!(p.as_str())
            );
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
