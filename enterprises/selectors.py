"""Role-scoped reads of towns, enterprises and persons (see ``cqo_registry.accounts.access``)."""

from django.db.models import Exists, OuterRef, QuerySet

from appointments.models import Appointment
from cqo_registry.accounts import access
from cqo_registry.accounts.models import Role

from .models import Enterprise, Person, Town


def town_list(user) -> QuerySet[Town]:
    if access.role_of(user) == Role.TOWN_OFFICER:
        return Town.objects.filter(pk=user.town_id)
    if access.role_of(user) == Role.ENTERPRISE:
        return Town.objects.filter(enterprises=user.enterprise_id)
    return access.scope(Town.objects.all(), user, town_field=None, enterprise_field=None)


def enterprise_list(user) -> QuerySet[Enterprise]:
    return access.scope(
        Enterprise.objects.select_related("town"), user, town_field="town", enterprise_field="pk"
    )


def person_list(user) -> QuerySet[Person]:
    """Persons the user may see: county roles see all; a town officer sees persons whose
    appointment at an enterprise of their town was filed (approved by the bureau); an
    enterprise user, persons whose appointment at their own enterprise was filed.

    A draft or submitted filing does not count: an enterprise that typed someone's ID number
    into a filing must not reach that person's record before the bureau has approved the
    appointment (PIPL; issue "Security, part 1" §3)."""
    role = access.role_of(user)
    if access.sees_whole_county(user):
        return Person.objects.all()
    filed = Appointment.objects.filter(person=OuterRef("pk"), filed_on__isnull=False)
    if role == Role.TOWN_OFFICER:
        appointed_here = filed.filter(enterprise__town=user.town_id)
    elif role == Role.ENTERPRISE:
        appointed_here = filed.filter(enterprise=user.enterprise_id)
    else:
        return Person.objects.none()
    return Person.objects.filter(Exists(appointed_here))
