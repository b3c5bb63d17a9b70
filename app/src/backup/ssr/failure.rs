//! Why a backup job (a dump, a restore, a test restore) failed: the words a
//! person reads on the backup's page, in the job's progress stream and in
//! the audit event. Not an `AppError`, which is an answer to a request: a
//! job's failure is stored with the job and answered by nobody. One type
//! for it keeps the chain from the child process up to the stored row from
//! being any `String` that happens to pass by.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure(String);

impl Failure {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Failure(reason)
    }
}

impl From<&str> for Failure {
    fn from(reason: &str) -> Self {
        Failure(reason.to_string())
    }
}
