//! What a state change causes besides itself, written by the repository in the change's own
//! transaction (DESIGN.md "Effects"): merchant notifications with their delivery jobs, other
//! jobs, audit rows and payment exceptions. A crash loses none of them, and none of them exists
//! without the change.

use crate::audit::AuditEntry;
use crate::jobs::{JobKind, NewJob};
use crate::payments::exception::PaymentException;
use crate::payments::notification::Notification;

#[derive(Clone, Debug, Default)]
pub struct Effects {
    pub notifications: Vec<Notification>,
    pub jobs: Vec<NewJob>,
    pub audit: Vec<AuditEntry>,
    pub exceptions: Vec<PaymentException>,
}

impl Effects {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.notifications.is_empty() && self.jobs.is_empty() && self.audit.is_empty() && self.exceptions.is_empty()
    }

    /// A notification to a merchant, and the job that delivers it.
    pub fn notify(&mut self, notifications: impl IntoIterator<Item = Notification>) -> &mut Self {
        for n in notifications {
            self.jobs.push(NewJob::new(&n.platform_id, JobKind::NotificationDelivery, &n.id, n.next_attempt_at));
            self.notifications.push(n);
        }
        self
    }

    pub fn job(&mut self, job: NewJob) -> &mut Self {
        self.jobs.push(job);
        self
    }

    pub fn audit(&mut self, entry: AuditEntry) -> &mut Self {
        self.audit.push(entry);
        self
    }

    pub fn exception(&mut self, exception: PaymentException) -> &mut Self {
        self.exceptions.push(exception);
        self
    }
}
