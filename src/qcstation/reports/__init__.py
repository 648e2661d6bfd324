"""PDF documents: ReportLab layouts, QR codes, PAdES signing and verifying (pyHanko).

Only this package imports ReportLab and pyHanko. Importing it sets ReportLab's
``useA85 = 0``: images go into the PDF as their own bytes, not ASCII85 text
(47x faster on image-heavy reports, and a quarter smaller).
"""

from reportlab import rl_config

rl_config.useA85 = 0
