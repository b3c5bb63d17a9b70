//! Identity: users, roles and what each role may do.

pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod authorized;
#[cfg(feature = "ssr")]
pub mod bearer;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod guard;
mod pages;
#[cfg(feature = "ssr")]
pub mod password;
mod permission;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod signin;
#[cfg(feature = "ssr")]
pub mod stream;
#[cfg(feature = "ssr")]
pub mod users;

pub use api::CurrentUser;
pub use pages::{LoginPage, SetupPage};
pub use permission::{Permission, Role};

use crate::AppError;

/// Why a sign-in was refused, as the login page names it. A plain form
/// post is sent back to `/login?error=<code>` (the error itself cannot
/// travel in a redirect), and the page shows [`SignInRefusal::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInRefusal {
    /// Unknown user, wrong password, or a locked account (told apart from
    /// none of them, on purpose).
    Invalid,
    /// Too many failed sign-ins from the client's address.
    Throttled,
    /// The account is disabled.
    Disabled,
    /// The password could not be checked now (every hashing slot busy).
    Busy,
}

impl SignInRefusal {
    pub fn code(self) -> &'static str {
        match self {
            SignInRefusal::Invalid => "invalid",
            SignInRefusal::Throttled => "throttled",
            SignInRefusal::Disabled => "disabled",
            SignInRefusal::Busy => "busy",
        }
    }

    /// The refusal a code names; an unknown code reads as `Invalid`.
    pub fn from_code(code: &str) -> Self {
        [Self::Throttled, Self::Disabled, Self::Busy]
            .into_iter()
            .find(|r| r.code() == code)
            .unwrap_or(Self::Invalid)
    }

    /// What the login page says.
    pub fn message(self) -> &'static str {
        match self {
            SignInRefusal::Invalid => "Invalid username or password.",
            SignInRefusal::Throttled => {
                "Too many failed sign-ins from your address: try again in 15 minutes."
            }
            SignInRefusal::Disabled => "This account is disabled; ask an admin.",
            SignInRefusal::Busy => {
                "The server is busy checking other passwords: try again in a few seconds."
            }
        }
    }
}

/// Usernames: 2–32 of `a-z 0-9 . _ -`, starting with a letter or digit
/// (the same rule as the database constraint).
pub fn validate_username(name: &str) -> Result<(), AppError> {
    let ok_len = (2..=32).contains(&name.len());
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    let ok_start = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok_len && ok_chars && ok_start {
        Ok(())
    } else {
        Err(AppError::invalid("username", "use 2 to 32 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"))
    }
}

/// The longest username and password a sign-in accepts (no stored user
/// has a longer one): a bound on what reaches the audit log and argon2.
pub const MAX_USERNAME: usize = 32;
pub const MAX_PASSWORD: usize = 1024;

/// Refuses a sign-in's fields by their length alone, naming the field.
pub fn sign_in_fields(username: &str, password: &str) -> Result<(), AppError> {
    if username.chars().count() > MAX_USERNAME {
        return Err(AppError::invalid(
            "username",
            format!("has at most {MAX_USERNAME} characters"),
        ));
    }
    if password.chars().count() > MAX_PASSWORD {
        return Err(AppError::invalid(
            "password",
            format!("has at most {MAX_PASSWORD} characters"),
        ));
    }
    Ok(())
}

/// The username an administrator's change names, checked by length before
/// it is looked up (it reaches error messages and the audit log).
pub fn named_user(username: &str) -> Result<&str, AppError> {
    if username.chars().count() > MAX_USERNAME {
        return Err(AppError::invalid(
            "username",
            format!("has at most {MAX_USERNAME} characters"),
        ));
    }
    Ok(username)
}

/// At least 12 characters and not the username (OWASP: length over rules).
pub fn validate_password(username: &str, password: &str) -> Result<(), AppError> {
    let invalid = |message: &str| Err(AppError::invalid("password", message));
    if password.chars().count() < 12 {
        return invalid("must be at least 12 characters long");
    }
    if password.chars().count() > MAX_PASSWORD {
        return invalid("must be at most 1024 characters long");
    }
    if password.eq_ignore_ascii_case(username) {
        return invalid("must not be the username");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sign_in_refusal_comes_back_from_its_code() {
        use SignInRefusal::*;
        for why in [Invalid, Throttled, Disabled, Busy] {
            assert_eq!(SignInRefusal::from_code(why.code()), why);
        }
        assert_eq!(SignInRefusal::from_code("<script>"), Invalid);
    }

    #[test]
    fn usernames_follow_the_documented_rule() {
        for good in ["alice", "ops.lead", "a1", "x_y-z"] {
            assert!(validate_username(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a",
            "Alice",
            "-bob",
            "bob smith",
            "émile",
            &"a".repeat(33),
        ] {
            let e = validate_username(bad).unwrap_err();
            assert!(
                matches!(e, AppError::Validation { ref field, .. } if field == "username"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn short_passwords_and_the_username_are_refused() {
        assert!(validate_password("alice", "correct horse battery").is_ok());
        assert!(validate_password("alice", "short")
            .unwrap_err()
            .to_string()
            .contains("at least 12"));
        assert!(validate_password("alicealice12", "AliceAlice12")
            .unwrap_err()
            .to_string()
            .contains("username"));
    }
}
