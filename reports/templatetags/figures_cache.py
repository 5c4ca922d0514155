"""``{% figures_cache "name" %}…{% endfigures_cache %}``: a fragment of the dashboard cached
under the page's ``fragment_key`` (``reports.views.dashboard.fragment_key``), rendered as usual
when the key is empty (a town's dashboard, a day without a snapshot).

Unlike Django's ``{% cache %}`` it neither reads nor writes the cache when there is no key,
and the key is the view's, which names everything the fragment shows (issue 15 §1)."""

from django import template
from django.core.cache import cache

register = template.Library()

# A day: the key changes with whatever the fragment shows; this only lets old keys go.
TIMEOUT_SECONDS = 24 * 3600


class FiguresCacheNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        key = context.get("fragment_key")
        if not key:
            return self.nodelist.render(context)
        full_key = f"{key}:{self.name.resolve(context)}"
        html = cache.get(full_key)
        if html is None:
            html = self.nodelist.render(context)
            cache.set(full_key, html, TIMEOUT_SECONDS)
        return html


@register.tag
def figures_cache(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the fragment's name")
    nodelist = parser.parse(("endfigures_cache",))
    parser.delete_first_token()
    return FiguresCacheNode(nodelist, parser.compile_filter(bits[1]))
