"""Browse a run: samples with their images, the objects each program touches and the program's
steps, checked against the stored answer; scene graphs with boxes, masks and relations.

    from veriscene.viewer import view, write_html
    view("runs/demo")                                   # serve http://127.0.0.1:8000/ until Ctrl-C
    write_html("runs/demo", "demo.html", count=50)      # one self-contained file

In a notebook, `Catalog.open(run)` reads a run and `IPython.display.HTML(sample_html(catalog, k))`
shows one sample (images embedded).
"""

from veriscene.viewer.catalog import Catalog, Filters
from veriscene.viewer.server import make_server, view
from veriscene.viewer.static import HtmlSummary, sample_html, write_html

__all__ = ["Catalog", "Filters", "HtmlSummary", "make_server", "sample_html", "view", "write_html"]
