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
