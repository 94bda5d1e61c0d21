//! A fixed pool of threads, one per core, for CPU-heavy work (Argon2, SRP, RSA key generation).
//!
//! Why not `spawn_blocking`: its pool grows to hundreds of threads, so sixteen sign-ins on two
//! cores would hash sixteen Argon2 passwords at once (19 MiB each) and thrash the caches, and
//! every thread would keep its own 19 MiB allocator arena. One long-lived thread per core runs
//! the jobs in turn and reuses its memory. Hand-rolled because it is a queue and N threads; a
//! general thread-pool crate would bring a scheduler that this does not need.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

type Job = Box<dyn FnOnce() + Send + 'static>;

#[derive(Clone)]
pub(crate) struct CpuPool {
    jobs: mpsc::Sender<Job>,
}

impl CpuPool {
    pub(crate) fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("cognate-cpu-{i}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panicking job fails its caller (its result channel closes), not the pool.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        // Every sender is gone: the services were dropped.
                        Err(_) => return,
                    }
                })
                .expect("start a CPU thread");
        }
        CpuPool { jobs }
    }

    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| Error::internal("the CPU pool has stopped"))?;
        result
            .await
            .map_err(|_| Error::internal("a CPU job panicked"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_and_return_their_results() {
        let pool = CpuPool::new(2);
        let mut results = Vec::new();
        for i in 0..10u64 {
            results.push(pool.run(move || i * i).await.unwrap());
        }
        assert_eq!(results, (0..10).map(|i| i * i).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_internal_error_and_the_pool_goes_on() {
        let pool = CpuPool::new(1);
        assert!(pool.run(|| panic!("boom")).await.is_err());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
