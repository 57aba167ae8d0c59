"""Two append-only records.

* AccessLog — NEN 7513: every read, list, search, print, export and change of patient data:
  when (UTC), who (and in which role, on whose behalf), which patient and case, what action,
  which object or part, from where, and the result. It records the fact of access, never the
  clinical content and never a BSN.
* Event — the action log of the workflow (pretix style): dotted action names such as
  `case.submitted`, with JSON data, shown in the case timeline.

Neither can be changed or deleted through the ORM; on PostgreSQL a trigger refuses UPDATE and
DELETE as well (migration 0003), and TRUNCATE (migration 0004). The tables' owner can still
switch the triggers off, so each row also carries a hash chained to the previous row's
(audit/chain.py): `manage.py verify_audit` finds a row changed or removed afterwards. Every insert
goes through advance_chain(), which holds the chain heads locked until the transaction ends, so
concurrent writers append one after the other.
"""

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import chain


class AppendOnlyError(Exception):
    pass


class ChainHead(models.Model):
    """The end of one log's hash chain; locked by every writer of either log (advance_chain)."""

    log = models.CharField(max_length=40, primary_key=True)  # the model's label, "audit.event"
    hash = models.CharField(max_length=64, default=chain.GENESIS)
    count = models.BigIntegerField(default=0)  # rows after the anchor
    # Where the chain starts: GENESIS, or after a retention purge the hash of the last row removed.
    anchor = models.CharField(max_length=64, default=chain.GENESIS)

    def __str__(self):
        return f"{self.log}: {self.count} rows, {self.hash}"


CHAINED_LOGS = ("audit.accesslog", "audit.event")  # locked in this order, always both: no deadlock


def lock_chain_heads():
    """Lock both heads (SELECT ... FOR UPDATE, until the transaction ends); {log: ChainHead}."""
    heads = {h.log: h for h in ChainHead.objects.select_for_update().filter(log__in=CHAINED_LOGS).order_by("log")}
    if len(heads) < len(CHAINED_LOGS):  # a new or emptied database: start the missing chains
        ChainHead.objects.bulk_create([ChainHead(log=log) for log in CHAINED_LOGS if log not in heads],
                                      ignore_conflicts=True)
        heads = {h.log: h for h in ChainHead.objects.select_for_update().filter(log__in=CHAINED_LOGS)
                 .order_by("log")}
    return heads


def advance_chain(model, rows):
    """The chain hashes of `rows` (mappings by attname), to be inserted in this order before the
    transaction ends; the head moves on now. Only inside transaction.atomic()."""
    if not connection.in_atomic_block:
        raise RuntimeError("advance_chain() holds the chain head until commit: call it in a transaction")
    log = model._meta.label_lower
    head = lock_chain_heads()[log]
    hashes = chain.hashes(model.chain_spec(), head.hash, rows)
    if hashes:
        ChainHead.objects.filter(log=log).update(hash=hashes[-1], count=F("count") + len(hashes))
    return hashes


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated.")

    # Django's own paths around the public methods: save() and update_or_create() update through
    # _update(), the deletion collector deletes through _raw_delete(), and bulk_create() with
    # update_conflicts is an upsert.
    def _update(self, values):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated.")

    def _raw_delete(self, using):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted.")

    def bulk_create(self, objs, *args, update_conflicts=False, **kwargs):
        if update_conflicts:
            raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated.")
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            for obj, chain_hash in zip(objs, advance_chain(self.model, [vars(obj) for obj in objs]), strict=True):
                obj.chain_hash = chain_hash
            return super().bulk_create(objs, *args, **kwargs)


class AppendOnlyModel(models.Model):
    chain_hash = models.CharField(max_length=64, default="", editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        # Django reaches rows through the base manager too (the deletion collector, related
        # lookups); without this it would be a plain manager that updates and deletes.
        base_manager_name = "objects"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be updated.")
        kwargs["force_insert"] = True
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            self.chain_hash = advance_chain(type(self), [vars(self)])[0]
            super().save(*args, **kwargs)

    @classmethod
    def chain_spec(cls):
        return chain.fields(cls)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted.")


class AccessAction(models.TextChoices):
    READ = "read", _("Read")
    LIST = "list", _("Shown in a list")
    SEARCH = "search", _("Found by a search")
    PRINT = "print", _("Printed")
    EXPORT = "export", _("Exported (PDF or file)")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")


class AccessResult(models.TextChoices):
    OK = "ok", _("Allowed")
    DENIED = "denied", _("Refused")


class AccessLog(AppendOnlyModel):
    at = models.DateTimeField(_("time (UTC)"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
        null=True, related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150)
    role = models.CharField(_("role"), max_length=20, blank=True)
    on_behalf_of = models.CharField(_("on behalf of"), max_length=150, blank=True)
    patient = models.ForeignKey(
        "referrals.Patient", verbose_name=_("patient"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    case = models.ForeignKey(
        "referrals.Case", verbose_name=_("case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    object_type = models.CharField(_("object"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    result = models.CharField(
        _("result"), max_length=8, choices=AccessResult.choices, default=AccessResult.OK
    )

    class Meta(AppendOnlyModel.Meta):
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "at"], name="accesslog_patient_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.object_type}"


class Event(AppendOnlyModel):
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    action = models.CharField(_("action"), max_length=60)
    case = models.ForeignKey(
        "referrals.Case", verbose_name=_("case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="events",
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta(AppendOnlyModel.Meta):
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="event_case_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"
