//! Group commit: concurrent requests that each need a small write queue
//! their jobs, and whoever holds the turn runs everything queued so far as
//! one batch (one statement or one transaction) and answers each job.
//!
//! Used for the DPoP proof records (crate::replay) and for the policy's
//! enforcement at hot storage (crate::hot::policy_batch). There is no
//! background task: the turn passes from request to request. A batch runs
//! in a task of its own, so a request that goes away mid-write (its client
//! hung up) does not cancel the others' answers. One batch of a queue is
//! in flight at a time: on PostgreSQL two turns of one queue measured
//! within noise of one, as their batches shared users and waited for each
//! other's locks; the policy keeps two queues whose users differ instead
//! (docs/services.md, "Where a judged recover's time goes").

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// A job waiting for its batch, and where its answer goes.
struct Waiting<J, A> {
    job: J,
    answer: oneshot::Sender<A>,
}

/// A queue of jobs of type `J`, each answered with an `A`.
pub struct GroupCommit<J, A> {
    queue: Mutex<Vec<Waiting<J, A>>>,
    turn: Arc<tokio::sync::Mutex<()>>,
    max_batch: usize,
}

/// Where a job stands after a turn.
enum Status<A> {
    Answered(A),
    /// More than a batch was queued before it: take another turn.
    Waiting,
    /// Its batch's task ended without answering it (it panicked).
    Lost,
}

impl<J: Send + 'static, A: Send + 'static> GroupCommit<J, A> {
    /// A queue whose batches hold at most `max_batch` jobs.
    pub fn new(max_batch: usize) -> Self {
        GroupCommit {
            queue: Mutex::new(Vec::new()),
            turn: Arc::new(tokio::sync::Mutex::new(())),
            max_batch: max_batch.max(1),
        }
    }

    /// Queues `job` and waits for its answer. `run` is what this request
    /// does with a batch should it get the turn first: it gets the jobs in
    /// the order they were queued and must answer each, in that order.
    pub async fn submit<F, Fut>(&self, job: J, run: F) -> anyhow::Result<A>
    where
        F: Fn(Vec<J>) -> Fut,
        Fut: Future<Output = Vec<A>> + Send + 'static,
    {
        let (answer, mut answered) = oneshot::channel();
        self.lock_queue().push(Waiting { job, answer });
        loop {
            let turn = self.turn.clone().lock_owned().await;
            // The holder before us may have taken our job in its batch.
            if let Status::Answered(a) = Self::status(&mut answered)? {
                return Ok(a);
            }
            let (jobs, answers): (Vec<J>, Vec<oneshot::Sender<A>>) = {
                let mut queue = self.lock_queue();
                let n = queue.len().min(self.max_batch);
                queue.drain(..n).map(|w| (w.job, w.answer)).unzip()
            };
            let batch = run(jobs);
            tokio::spawn(async move {
                let _turn = turn;
                for (answer, a) in answers.into_iter().zip(batch.await) {
                    let _ = answer.send(a);
                }
            })
            .await?;
            if let Status::Answered(a) = Self::status(&mut answered)? {
                return Ok(a);
            }
        }
    }

    fn status(answered: &mut oneshot::Receiver<A>) -> anyhow::Result<Status<A>> {
        let status = match answered.try_recv() {
            Ok(a) => Status::Answered(a),
            Err(oneshot::error::TryRecvError::Empty) => Status::Waiting,
            Err(oneshot::error::TryRecvError::Closed) => Status::Lost,
        };
        if let Status::Lost = status {
            anyhow::bail!("a queued job was dropped unanswered");
        }
        Ok(status)
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiting<J, A>>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::GroupCommit;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_job_gets_its_own_answer_and_batches_group_them() {
        let queue = Arc::new(GroupCommit::<u32, u32>::new(8));
        let batches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..200u32 {
            let (queue, batches) = (queue.clone(), batches.clone());
            tasks.push(tokio::spawn(async move {
                let run = |jobs: Vec<u32>| {
                    let batches = batches.clone();
                    async move {
                        assert!(jobs.len() <= 8, "a batch over its size");
                        batches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                        jobs.into_iter().map(|j| j * 10).collect()
                    }
                };
                (i, queue.submit(i, run).await.unwrap())
            }));
        }
        for t in tasks {
            let (i, a) = t.await.unwrap();
            assert_eq!(a, i * 10, "job {i} got another job's answer");
        }
        let n = batches.load(Ordering::SeqCst);
        assert!(
            n < 200,
            "200 concurrent jobs ran in {n} batches: nothing was grouped"
        );
    }

    #[tokio::test]
    async fn a_batch_that_answers_too_few_fails_the_rest_instead_of_hanging() {
        let queue = GroupCommit::<u32, u32>::new(8);
        let err = queue
            .submit(1, |_jobs| async { Vec::new() })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("unanswered"));
    }
}
