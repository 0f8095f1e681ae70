//! Fault injection for the flow tests: a [`Plan`] of cut points and
//! [`Faulty`] wrappers that fail or cut off the services and the device
//! store at the planned step.

use super::*;
use keyframe_wire::policy::{
    ActivityList, ActivityReport, ApprovalRequest, ApprovalResponse, PolicyState,
    RecoverWithIntent, SignedUserRules,
};

/// What happens at the cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails without reaching the service (network down).
    FailBefore,
    /// The call reaches the service, but its answer is lost.
    LoseAnswer,
    /// The service answers 500.
    ServerError,
    /// The tab closes before the call: the flow never resumes.
    Abort,
    /// The tab closes after the call reached the service.
    AbortAfter,
}

/// Where and how a flow is cut: at the `at`-th call through the wrapper
/// (0-based), and at every later one too when `sticky`.
pub struct Plan {
    step: Cell<usize>,
    at: Cell<Option<usize>>,
    fault: Cell<Fault>,
    sticky: Cell<bool>,
    /// Signalled when a flow is cut off by `Abort`/`AbortAfter`.
    pub aborted: tokio::sync::Notify,
}

enum Verdict {
    Pass,
    Fail(Fault),
}

impl Plan {
    pub fn new() -> Rc<Plan> {
        Rc::new(Plan {
            step: Cell::new(0),
            at: Cell::new(None),
            fault: Cell::new(Fault::FailBefore),
            sticky: Cell::new(false),
            aborted: tokio::sync::Notify::new(),
        })
    }

    /// Arms the plan: count calls from zero, fault at call `at`.
    pub fn arm(&self, at: usize, fault: Fault, sticky: bool) {
        self.step.set(0);
        self.at.set(Some(at));
        self.fault.set(fault);
        self.sticky.set(sticky);
    }

    pub fn disarm(&self) {
        self.at.set(None);
    }

    /// Calls made since the plan was armed.
    pub fn steps(&self) -> usize {
        self.step.get()
    }

    fn next(&self) -> Verdict {
        let step = self.step.get();
        self.step.set(step + 1);
        match self.at.get() {
            Some(at) if step == at || (self.sticky.get() && step > at) => {
                Verdict::Fail(self.fault.get())
            }
            _ => Verdict::Pass,
        }
    }

    /// The tab closes here: the flow never resumes (the test drops it).
    async fn cut_off<T>(&self) -> T {
        self.aborted.notify_one();
        std::future::pending().await
    }

    /// Runs `call` under the plan.
    async fn service<T, F>(&self, call: F) -> Result<T, ServiceError>
    where
        F: Future<Output = Result<T, ServiceError>>,
    {
        match self.next() {
            Verdict::Pass => call.await,
            Verdict::Fail(Fault::FailBefore) => Err(ServiceError::Network),
            Verdict::Fail(Fault::ServerError) => Err(ServiceError::Api {
                status: 500,
                code: "INTERNAL".into(),
            }),
            Verdict::Fail(Fault::LoseAnswer) => {
                let _ = call.await;
                Err(ServiceError::Network)
            }
            Verdict::Fail(Fault::Abort) => self.cut_off().await,
            Verdict::Fail(Fault::AbortAfter) => {
                let _ = call.await;
                self.cut_off().await
            }
        }
    }

    /// Runs a store operation under the plan (a store "fails" or the tab
    /// closes around it).
    async fn store<T, F>(&self, call: F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, StoreError>>,
    {
        match self.next() {
            Verdict::Pass => call.await,
            Verdict::Fail(Fault::FailBefore | Fault::ServerError) => Err(StoreError),
            Verdict::Fail(Fault::LoseAnswer) => {
                let _ = call.await;
                Err(StoreError)
            }
            Verdict::Fail(Fault::Abort) => self.cut_off().await,
            Verdict::Fail(Fault::AbortAfter) => {
                let _ = call.await;
                self.cut_off().await
            }
        }
    }
}

/// `T` with every call going through a [`Plan`].
pub struct Faulty<T> {
    pub inner: T,
    plan: Rc<Plan>,
}

impl<T> Faulty<T> {
    pub fn new(inner: T, plan: &Rc<Plan>) -> Self {
        Faulty {
            inner,
            plan: plan.clone(),
        }
    }
}

impl<T: HotStorage> HotStorage for Faulty<T> {
    async fn wallet(&self, token: &Tokens) -> Result<Option<WalletResponse>, ServiceError> {
        self.plan.service(self.inner.wallet(token)).await
    }
    async fn create(
        &self,
        token: &Tokens,
        body: &CreateRequest,
    ) -> Result<DeviceRef, ServiceError> {
        self.plan.service(self.inner.create(token, body)).await
    }
    async fn register(
        &self,
        token: &Tokens,
        body: &RegisterRequest,
        authority: &WalletAuthority,
    ) -> Result<DeviceRef, ServiceError> {
        self.plan
            .service(self.inner.register(token, body, authority))
            .await
    }
    async fn recover(
        &self,
        token: &Tokens,
        body: &RecoverRequest,
    ) -> Result<RecoverResponse, ServiceError> {
        self.plan.service(self.inner.recover(token, body)).await
    }
    async fn refresh(
        &self,
        token: &Tokens,
        body: &RefreshRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.plan
            .service(self.inner.refresh(token, body, authority))
            .await
    }
    async fn commit(
        &self,
        token: &Tokens,
        body: &CommitRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.plan
            .service(self.inner.commit(token, body, authority))
            .await
    }
    async fn list(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<Vec<DeviceInfo>, ServiceError> {
        self.plan.service(self.inner.list(token, wallet)).await
    }
    async fn revoke(
        &self,
        token: &Tokens,
        wallet: WalletId,
        device: DeviceId,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        self.plan
            .service(self.inner.revoke(token, wallet, device, authority))
            .await
    }
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        self.plan
            .service(self.inner.register_authority(token, wallet, key))
            .await
    }
    async fn policy(&self, t: &Tokens, w: WalletId) -> Result<PolicyState, ServiceError> {
        self.plan.service(self.inner.policy(t, w)).await
    }
    async fn recover_for(
        &self,
        t: &Tokens,
        b: &RecoverWithIntent,
    ) -> Result<RecoverResponse, ServiceError> {
        self.plan.service(self.inner.recover_for(t, b)).await
    }
    async fn approval(
        &self,
        t: &Tokens,
        b: &ApprovalRequest,
    ) -> Result<ApprovalResponse, ServiceError> {
        self.plan.service(self.inner.approval(t, b)).await
    }
    async fn report(&self, t: &Tokens, b: &ActivityReport) -> Result<(), ServiceError> {
        self.plan.service(self.inner.report(t, b)).await
    }
    async fn activity(
        &self,
        t: &Tokens,
        w: WalletId,
        limit: u32,
    ) -> Result<ActivityList, ServiceError> {
        self.plan.service(self.inner.activity(t, w, limit)).await
    }
    async fn put_user_rules(
        &self,
        t: &Tokens,
        b: &SignedUserRules,
        a: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        self.plan.service(self.inner.put_user_rules(t, b, a)).await
    }
}

impl<T: Shield> Shield for Faulty<T> {
    async fn create(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError> {
        self.plan
            .service(self.inner.create(token, wallet, record, authority))
            .await
    }
    async fn replace(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        self.plan
            .service(self.inner.replace(token, wallet, record, authority))
            .await
    }
    async fn get(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<ColdRecordResponse, ServiceError> {
        self.plan.service(self.inner.get(token, wallet)).await
    }
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        self.plan
            .service(self.inner.register_authority(token, wallet, key))
            .await
    }
}

impl<T: DeviceStore> DeviceStore for Faulty<T> {
    type Lock<'a>
        = T::Lock<'a>
    where
        Self: 'a;

    fn is_persistent(&self) -> bool {
        self.inner.is_persistent()
    }
    async fn entries(&self, wallet: WalletId) -> Result<Vec<Entry>, StoreError> {
        self.plan.store(self.inner.entries(wallet)).await
    }
    async fn put(&self, entry: &Entry) -> Result<(), StoreError> {
        self.plan.store(self.inner.put(entry)).await
    }
    async fn delete(&self, entry: &Entry) -> Result<(), StoreError> {
        self.plan.store(self.inner.delete(entry)).await
    }
    async fn lock(&self) -> T::Lock<'_> {
        self.inner.lock().await
    }
    async fn remembered_devices(&self, wallet: WalletId) -> Vec<DeviceId> {
        self.inner.remembered_devices(wallet).await
    }
    async fn remember_devices(&self, wallet: WalletId, devices: &[DeviceId]) {
        self.inner.remember_devices(wallet, devices).await
    }
}
