//! Roles: what each kind of console user is for.

use std::fmt;
use std::str::FromStr;

/// A console role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Users and settings, and everything the other roles may do.
    Admin,
    /// Triage of findings, policies.
    Analyst,
    /// Devices, the asset list, patches (clinical engineering).
    Biomed,
    /// Read-only, the audit log included.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Biomed, Role::Auditor];

    /// The name the store and the command line use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Biomed => "biomed",
            Self::Auditor => "auditor",
        }
    }
}

/// What a route needs (every route declares one: `server::ROUTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Anyone: the sign-in page, static assets.
    Public,
    /// The sign-in steps themselves (anonymous, or a session part-way through).
    SignIn,
    /// A session that has passed the password but has no second factor yet: enrolment only.
    Enrol,
    /// Any session (signing out).
    AnySession,
    /// A session enrolling its first second factor, or a full one: adding a passkey.
    OwnFactors,
    /// Devices, findings, vulnerabilities, patches: every role.
    ReadInventory,
    /// Acknowledge, resolve and comment on findings: analyst (and admin).
    TriageFindings,
    /// The audit log: admin and auditor.
    ReadAudit,
    /// Users and settings: admin.
    ManageUsers,
}

impl Role {
    /// Whether a fully signed-in user of this role has `permission`.
    pub fn can(self, permission: Permission) -> bool {
        match permission {
            Permission::Public
            | Permission::SignIn
            | Permission::Enrol
            | Permission::AnySession
            | Permission::OwnFactors => true,
            Permission::ReadInventory => true,
            // The admin may do what every other role does (a small hospital's one person).
            Permission::TriageFindings => matches!(self, Self::Analyst | Self::Admin),
            Permission::ReadAudit => matches!(self, Self::Admin | Self::Auditor),
            Permission::ManageUsers => self == Self::Admin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("no role {s:?}: one of admin, analyst, biomed, auditor"))
    }
}
