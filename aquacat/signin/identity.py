"""Who a sign-in is: the ORCID iD it carries, the account it belongs to, and the
creator entry of that person.

An account is linked by ORCID iD first, then by an e-mail address the provider
says it verified. The address must also be trusted on our side: verified in
allauth's records, or the address of a local account, which an administrator
made (there is no self-service sign-up). Several candidates link nothing.
"""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialLogin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from aquacat.models import Profile
from catalogue.vocabularies import normalise_orcid

logger = logging.getLogger(__name__)


def claims_of(sociallogin: SocialLogin) -> dict:
    """The provider's claims: the userinfo answer over the ID token's claims."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def orcid_of(sociallogin: SocialLogin) -> str | None:
    """The ORCID iD in the claim the provider's `orcid_claim` names, if it is one."""
    claim = sociallogin.provider.app.settings.get("orcid_claim")
    value = claims_of(sociallogin).get(claim) if claim else None
    if not value:
        return None
    try:
        return normalise_orcid(str(value))
    except ValidationError:
        logger.warning(
            "claim %s of %s is not an ORCID iD: %r", claim, sociallogin.provider.id, value
        )
        return None


def user_by_verified_email(addresses: list[str]) -> AbstractBaseUser | None:
    User = get_user_model()
    for address in addresses:
        verified = EmailAddress.objects.filter(email__iexact=address, verified=True)
        local = User.objects.filter(email__iexact=address).exclude(
            emailaddress__email__iexact=address
        )
        candidates = set(verified.values_list("user_id", flat=True)) | set(
            local.values_list("pk", flat=True)
        )
        users = list(User.objects.filter(pk__in=candidates, is_active=True))
        if len(users) == 1:
            return users[0]
        if users:
            logger.warning("%d accounts hold %s: not linked", len(users), address)
    return None


def existing_user(sociallogin: SocialLogin) -> AbstractBaseUser | None:
    """The account this first sign-in through a provider belongs to, if any."""
    orcid = orcid_of(sociallogin)
    if orcid:
        profile = Profile.objects.filter(orcid=orcid, user__is_active=True).first()
        if profile is not None:
            return profile.user
    return user_by_verified_email([e.email for e in sociallogin.email_addresses if e.verified])


@transaction.atomic
def record_orcid(user: AbstractBaseUser, orcid: str | None) -> None:
    """Keep the ORCID iD a provider vouched for; one held by another account stays there."""
    if not orcid:
        return
    holder = Profile.objects.select_for_update().filter(orcid=orcid).first()
    if holder is not None and holder.user_id != user.pk:
        logger.warning("ORCID iD %s is held by account %s: not recorded", orcid, holder.user_id)
        return
    Profile.objects.update_or_create(user=user, defaults={"orcid": orcid})


def creator_entry(user: AbstractBaseUser) -> dict | None:
    """The person as an image set's creator ("Family, Given" and ORCID iD), when known."""
    family = (getattr(user, "last_name", "") or "").strip()
    given = (getattr(user, "first_name", "") or "").strip()
    orcid = Profile.objects.filter(user_id=user.pk).values_list("orcid", flat=True).first()
    if not family:
        return None
    entry = {"name": f"{family}, {given}" if given else family}
    if orcid:
        entry["orcid"] = orcid
    return entry
