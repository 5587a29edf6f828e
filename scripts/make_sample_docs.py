"""Regenerate resources/sample-docs/home-composting-guide.pdf (needs fpdf2, a dev dependency).

The PDF is committed; this script records how it was made. One topic per page so a
question can be checked against the page it should cite.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

PAGES = [
    ("Home Composting Guide", "1. Why compost?", [
        "Composting turns kitchen scraps and garden waste into a dark, crumbly soil "
        "conditioner. Roughly a third of household rubbish is organic matter that could be "
        "composted instead of sent to landfill, where it breaks down without oxygen and "
        "releases methane.",
        "Finished compost improves soil structure, helps sandy soils hold water and clay "
        "soils drain, and feeds the microbes and earthworms that make nutrients available "
        "to plants.",
    ]),
    (None, "2. Greens and browns", [
        "A compost heap needs a balance of nitrogen-rich 'greens' and carbon-rich 'browns'. "
        "Greens include vegetable peelings, coffee grounds, tea leaves and fresh grass "
        "clippings. Browns include dry leaves, straw, shredded cardboard and small twigs.",
        "Aim for roughly three parts browns to one part greens by volume, which gives a "
        "carbon-to-nitrogen ratio near 30 to 1. Too many greens make a wet, smelly heap; too "
        "many browns make a heap that barely decomposes.",
        "Do not compost meat, fish, dairy products, cooking oil or pet waste in a home heap: "
        "they attract rats and can carry pathogens.",
    ]),
    (None, "3. Hot and cold composting", [
        "Hot composting builds a large heap, at least one cubic metre, all at once. Microbes "
        "heat the centre to between 55 and 65 degrees Celsius. Turned every week to bring in "
        "oxygen, a hot heap produces finished compost in about six to eight weeks, and the "
        "heat kills most weed seeds.",
        "Cold composting means adding material whenever it is available and leaving the "
        "heap alone. It needs little effort but takes six months to two years, and weed "
        "seeds survive.",
    ]),
    (None, "4. Troubleshooting", [
        "A heap that smells of ammonia or rotten eggs is too wet or has too many greens: mix "
        "in dry browns and turn it to let air in.",
        "A heap that stays cold and dry needs water and more greens. It should feel as damp "
        "as a wrung-out sponge.",
        "Compost is ready when it is dark, crumbly, smells of earth and the original "
        "materials can no longer be recognised. Sieve out any large pieces and return them "
        "to the next heap.",
    ]),
]


def main() -> None:
    pdf = FPDF(format="A4")
    pdf.set_title("Home Composting Guide")
    pdf.set_author("Assistant sample documents")
    pdf.set_auto_page_break(auto=True, margin=20)
    for title, heading, paragraphs in PAGES:
        pdf.add_page()
        if title:
            pdf.set_font("Helvetica", "B", 20)
            pdf.cell(0, 14, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(3)
    out = Path(__file__).resolve().parent.parent / "resources" / "sample-docs"
    pdf.output(str(out / "home-composting-guide.pdf"))


if __name__ == "__main__":
    main()
