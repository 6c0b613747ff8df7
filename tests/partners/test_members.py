"""Team roles, ownership transfer, and the rule that a partner always keeps an owner."""

import threading

import pytest
from django.db import close_old_connections, connection

from partners import services
from partners.exceptions import LastOwner, PartnerNotAllowed
from partners.models import Membership
from tests.factories import MembershipFactory, PartnerFactory, UserFactory


def _member(user, partner):
    return Membership.objects.get(user=user, partner=partner)


@pytest.mark.django_db
def test_the_last_owner_cannot_be_removed_or_demoted(acme, alice, manager):
    owner = _member(alice, acme)

    with pytest.raises(LastOwner):
        services.membership_remove(membership=owner, actor=manager)
    with pytest.raises(LastOwner):
        services.membership_change_role(membership=owner, role="admin", actor=alice)
    with pytest.raises(LastOwner):
        services.membership_remove(membership=owner, actor=alice)  # leaving

    assert _member(alice, acme).role == "owner"


@pytest.mark.django_db
def test_an_owner_can_leave_when_another_owner_remains(acme, alice):
    MembershipFactory(partner=acme, user=UserFactory(), role="owner")

    services.membership_remove(membership=_member(alice, acme), actor=alice)

    assert not Membership.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_ownership_transfer_makes_the_new_owner_and_demotes_the_old_to_admin(acme, alice, bob):
    services.ownership_transfer(
        from_membership=_member(alice, acme), to_membership=_member(bob, acme), actor=alice
    )

    assert _member(bob, acme).role == "owner"
    assert _member(alice, acme).role == "admin"
    assert Membership.objects.filter(partner=acme, role="owner").count() == 1


@pytest.mark.django_db
def test_only_the_owner_or_authorised_staff_can_transfer_ownership(
    acme, alice, bob, charlie, manager, auditor
):
    for intruder in (bob, charlie, auditor):
        with pytest.raises(PartnerNotAllowed):
            services.ownership_transfer(
                from_membership=_member(alice, acme), to_membership=_member(bob, acme), actor=intruder
            )

    services.ownership_transfer(
        from_membership=_member(alice, acme), to_membership=_member(bob, acme), actor=manager
    )

    assert _member(bob, acme).role == "owner"


@pytest.mark.django_db
def test_partner_admins_manage_the_team_but_not_its_owners(acme, alice, bob):
    admin = MembershipFactory(partner=acme, user=UserFactory(), role="admin").user

    services.membership_change_role(membership=_member(bob, acme), role="finance", actor=admin)
    with pytest.raises(PartnerNotAllowed):
        services.membership_change_role(membership=_member(bob, acme), role="owner", actor=admin)
    with pytest.raises(PartnerNotAllowed):
        services.membership_remove(membership=_member(alice, acme), actor=admin)
    with pytest.raises(PartnerNotAllowed):
        services.membership_change_role(membership=_member(alice, acme), role="viewer", actor=bob)

    assert _member(bob, acme).role == "finance"


@pytest.mark.django_db
def test_a_member_of_another_partner_cannot_touch_this_team(acme, bob, charlie):
    with pytest.raises(PartnerNotAllowed):
        services.membership_remove(membership=_member(bob, acme), actor=charlie)


@pytest.mark.django_db
def test_a_suspended_partners_team_cannot_be_changed_by_its_users(acme, alice, bob):
    acme.status = "suspended"
    acme.save()

    with pytest.raises(PartnerNotAllowed, match="suspended"):
        services.membership_change_role(membership=_member(bob, acme), role="viewer", actor=alice)


@pytest.mark.django_db
def test_staff_add_an_existing_user_once(acme, manager):
    user = UserFactory()
    services.membership_create(partner=acme, user=user, role="viewer", actor=manager)

    from partners.exceptions import PartnerConflict

    with pytest.raises(PartnerConflict):
        services.membership_create(partner=acme, user=user, role="admin", actor=manager)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_leaving_at_the_same_moment_leave_one_owner(staff_roles):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    partner = PartnerFactory(slug="race")
    first = MembershipFactory(partner=partner, user=UserFactory(email="o1@race.test"), role="owner")
    second = MembershipFactory(partner=partner, user=UserFactory(email="o2@race.test"), role="owner")
    barrier = threading.Barrier(2)
    outcomes = []

    def leave(membership):
        try:
            barrier.wait()
            services.membership_remove(
                membership=Membership.objects.get(pk=membership.pk), actor=membership.user
            )
            outcomes.append("left")
        except LastOwner:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=leave, args=(m,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["left", "refused"]
    assert Membership.objects.filter(partner=partner, role="owner").count() == 1
