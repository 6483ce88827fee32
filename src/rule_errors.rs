//! The rule-error table as the rules engine's sink: hook failures are handed to a background task
//! that writes them, so that recording never blocks or fails the request that was refused.

use parkportal_domain::{RuleErrorEntry, RuleRepository};
use parkportal_rules::ruleset::{RuleErrorRecord, RuleErrorSink};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Failures waiting to be written; beyond this a flood of failures is logged, not queued.
const QUEUE: usize = 1024;

/// Sends failures to the writer task.
#[derive(Clone)]
pub struct DbRuleErrorSink {
    tx: mpsc::Sender<RuleErrorRecord>,
}

impl DbRuleErrorSink {
    /// Starts the writer task on the current runtime.
    pub fn spawn(repo: Arc<dyn RuleRepository>) -> Self {
        let (tx, mut rx) = mpsc::channel::<RuleErrorRecord>(QUEUE);
        tokio::spawn(async move {
            while let Some(record) = rx.recv().await {
                let Some(tenant) = record.tenant else {
                    continue;
                };
                let entry = RuleErrorEntry {
                    tenant,
                    script: record.script,
                    script_version: record.script_version.0,
                    function: record.function,
                    message: record.message,
                    at: record.at,
                };
                if let Err(e) = repo.record_error(entry).await {
                    tracing::error!(error = %e, "could not record a rule error");
                }
            }
        });
        Self { tx }
    }
}

impl RuleErrorSink for DbRuleErrorSink {
    fn record(&self, error: RuleErrorRecord) {
        if let Err(e) = self.tx.try_send(error) {
            tracing::error!(error = %e, "rule error not recorded: the queue is full or closed");
        }
    }
}
