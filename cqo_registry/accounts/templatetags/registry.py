"""Template filters that apply the access rules: ``{{ person|id_number_for:user }}``."""

from django import template

from cqo_registry.accounts import access

register = template.Library()


@register.filter
def id_number_for(person, user) -> str:
    return access.id_number_for(user, person)


@register.filter
def mobile_for(person, user) -> str:
    return access.mobile_for(user, person)


@register.filter
def person_name(user) -> str:
    """``{{ user|person_name }}``: the name of the person behind an account (``first_name``
    as the demo and the admin keep it), else its username; ``""`` for no user. Pages name
    who acted this way, never by the account alone (issue 12)."""
    if user is None or not hasattr(user, "get_username"):
        return ""
    return user.get_full_name() or user.get_username()
