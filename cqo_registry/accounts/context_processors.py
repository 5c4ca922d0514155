from . import access
from .notifications import unread_count


def role(request):
    """``user_role`` (navigation) and the unread notification count for templates;
    permissions are still checked in views."""
    user = getattr(request, "user", None)
    return {"user_role": access.role_of(user), "unread_notifications": unread_count(user)}
