//! Transitional: the write shapes for handlers not yet moved onto their
//! use cases in `ops`; each delegates to `ops::guard`.

use std::marker::PhantomData;

use actix_web::HttpResponse;
use serde::Serialize;

use super::preconditions::{send, IdempotentJson, IfMatch};
use crate::auth::Actor;
use crate::db::{Db, DbConn};
use crate::domain::audit::{AuditAction, Audited};
use crate::domain::id::ContractId;
use crate::error::AppError;
use crate::ops::guard::{self, Answer};
use crate::ops::record::Record;
use crate::ops::version::{Once, Seen};

pub use crate::ops::guard::Created;

pub struct Guarded<T: Record> {
    actor: Actor,
    seen: Seen,
    id: T::Id,
    record: PhantomData<fn() -> T>,
}

impl<T: Record> Guarded<T> {
    pub fn new(actor: Actor, if_match: IfMatch, id: T::Id) -> Guarded<T> {
        Guarded {
            actor,
            seen: if_match.into(),
            id,
            record: PhantomData,
        }
    }

    pub async fn change<Apply>(
        self,
        db: &Db,
        action: AuditAction,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError> + Send + 'static,
    {
        guard::change(db, &self.actor, self.id, self.seen, action, apply).await
    }

    pub async fn change_then_read<Apply>(
        self,
        db: &Db,
        action: AuditAction,
        apply: Apply,
    ) -> Result<T, AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<(), AppError> + Send + 'static,
    {
        guard::change_then_read(db, &self.actor, self.id, self.seen, action, apply).await
    }

    pub async fn delete<Apply>(self, db: &Db, apply: Apply) -> Result<(), AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<(), AppError> + Send + 'static,
    {
        guard::delete::<T, _>(db, &self.actor, self.id, self.seen, apply).await
    }

    pub async fn act<Apply>(
        self,
        db: &Db,
        action: AuditAction,
        once: Once,
        apply: Apply,
    ) -> Result<HttpResponse, AppError>
    where
        Apply: FnOnce(&mut DbConn, &Actor, T::Id) -> Result<T, AppError> + Send + 'static,
    {
        let answer = guard::act(db, &self.actor, self.id, self.seen, once, action, apply).await?;
        Ok(send(answer))
    }
}

pub struct Creation<T> {
    actor: Actor,
    body: T,
    once: Once,
    parent: Option<ContractId>,
}

impl<T: Send + 'static> Creation<T> {
    pub fn new(actor: Actor, request: IdempotentJson<T>) -> Creation<T> {
        let (body, once) = request.split();
        Creation {
            actor,
            body,
            once,
            parent: None,
        }
    }

    pub fn under(mut self, contract: ContractId) -> Creation<T> {
        self.parent = Some(contract);
        self
    }

    pub async fn create<R, Make>(self, db: &Db, make: Make) -> Result<HttpResponse, AppError>
    where
        R: Record,
        Make: FnOnce(&mut DbConn, &Actor, T) -> Result<R, AppError> + Send + 'static,
    {
        self.create_at(db, move |conn, actor, body| {
            Ok(Created::record(make(conn, actor, body)?))
        })
        .await
    }

    pub async fn create_at<I, R, Make>(self, db: &Db, make: Make) -> Result<HttpResponse, AppError>
    where
        I: Audited,
        R: Serialize,
        Make: FnOnce(&mut DbConn, &Actor, T) -> Result<Created<I, R>, AppError> + Send + 'static,
    {
        let Creation {
            actor,
            body,
            once,
            parent,
        } = self;
        let answer = guard::create_under(db, &actor, parent, once, move |conn, actor| {
            make(conn, actor, body)
        })
        .await?;
        Ok(send(answer))
    }

    pub async fn run<Make>(self, db: &Db, make: Make) -> Result<HttpResponse, AppError>
    where
        Make: FnOnce(&mut DbConn, &Actor, T) -> Result<Answer, AppError> + Send + 'static,
    {
        let Creation {
            actor,
            body,
            once,
            parent,
        } = self;
        let answer = guard::run(db, &actor, parent, once, move |conn, actor| {
            make(conn, actor, body)
        })
        .await?;
        Ok(send(answer))
    }
}
