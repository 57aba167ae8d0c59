"""The nine outcome codes of spec §2 and the forums they send a patient to."""

from dataclasses import dataclass

# forum code -> (label_nl, label_en)
# The forum the law requires for stereotactic radiotherapy: the neuro-oncology MDO.
MDO_FORUM = "NEURO_ONC_MDO"

FORUMS = {
    "NEURO_ONC_MDO": ("Neuro-oncologisch MDO", "Neuro-oncology MDT"),
    "ORGAN_SPECIFIC_MDO": ("Orgaanspecifiek MDO", "Tumour-type MDT"),
    "NONE": ("Geen MDO-bespreking", "No MDT discussion"),
    "PRECONSULT_FIRST": (
        "Eerst vooroverleg met de neuro-oncoloog",
        "Pre-consultation with the neuro-oncologist first",
    ),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    code: str
    forum: str
    label_nl: str
    label_en: str
    explanation_nl: str
    explanation_en: str
    footnote: str | None
    # A few words for running text ("... bij ja, <short> bij nee").
    short_nl: str = ""
    short_en: str = ""

    def label(self, lang: str = "nl") -> str:
        return self.label_nl if lang == "nl" else self.label_en

    def explanation(self, lang: str = "nl") -> str:
        return self.explanation_nl if lang == "nl" else self.explanation_en

    def short(self, lang: str = "nl") -> str:
        return self.short_nl if lang == "nl" else self.short_en

    def forum_label(self, lang: str = "nl") -> str:
        nl, en = FORUMS[self.forum]
        return nl if lang == "nl" else en


def _outcomes(*outcomes):
    return {outcome.code: outcome for outcome in outcomes}


OUTCOMES = _outcomes(
    Outcome(
        code="NEURO_ONC_MDO",
        forum="NEURO_ONC_MDO",
        label_nl="Bespreken in het neuro-oncologisch MDO: indicatie lokale therapie?",
        label_en="Discuss in the neuro-oncology MDT: indication for local therapy?",
        explanation_nl=(
            "Volgens het stroomschema is neuro-oncologische expertise nodig: breng de patiënt in "
            "het neuro-oncologisch MDO in voor de vraag of lokale behandeling (resectie, "
            "stereotactische radiotherapie) geïndiceerd is."
        ),
        explanation_en=(
            "According to the flowchart neuro-oncological expertise is needed: bring the patient "
            "to the neuro-oncology MDT to decide whether local treatment (resection, stereotactic "
            "radiotherapy) is indicated."
        ),
        footnote=None,
        short_nl="neuro-oncologisch MDO",
        short_en="neuro-oncology MDT",
    ),
    Outcome(
        code="NEURO_ONC_MDO_QOL",
        forum="NEURO_ONC_MDO",
        label_nl=(
            "Neuro-oncologisch MDO, alleen voor de vraag of lokale behandeling de kwaliteit van "
            "leven duidelijk verbetert"
        ),
        label_en=(
            "Neuro-oncology MDT, only for whether local treatment would clearly improve quality "
            "of life"
        ),
        explanation_nl=(
            "Bij deze prognose heeft lokale behandeling meestal geen zin; bespreek de patiënt "
            "alleen om te beoordelen of lokale behandeling de kwaliteit van leven duidelijk kan "
            "verbeteren."
        ),
        explanation_en=(
            "With this prognosis local treatment is usually not worthwhile; discuss the patient "
            "only to judge whether local treatment could clearly improve quality of life."
        ),
        footnote="S4",
        short_nl="neuro-oncologisch MDO (kwaliteit van leven)",
        short_en="neuro-oncology MDT (quality of life)",
    ),
    Outcome(
        code="NEURO_ONC_MDO_RADIONECROSIS",
        forum="NEURO_ONC_MDO",
        label_nl=(
            "Verdenking radiatienecrose na stereotactische radiotherapie: bespreken in het "
            "neuro-oncologisch MDO, buiten het stroomschema"
        ),
        label_en=(
            "Suspected radiation necrosis after stereotactic radiotherapy: discuss in the "
            "neuro-oncology MDT, outside the flowchart"
        ),
        explanation_nl=(
            "Klachten die op radiatienecrose kunnen wijzen worden altijd in het neuro-oncologisch "
            "MDO besproken; deze patiënten volgen het stroomschema niet."
        ),
        explanation_en=(
            "Symptoms that may be due to radiation necrosis are always discussed in the "
            "neuro-oncology MDT; these patients do not follow the flowchart."
        ),
        footnote="S2_RADIONECROSIS",
        short_nl="neuro-oncologisch MDO (radiatienecrose)",
        short_en="neuro-oncology MDT (radiation necrosis)",
    ),
    Outcome(
        code="NEURO_ONC_MDO_LEGAL",
        forum="NEURO_ONC_MDO",
        label_nl=(
            "Bespreken in het neuro-oncologisch MDO: bestraling wordt overwogen (wettelijk "
            "verplicht)"
        ),
        label_en=(
            "Discuss in the neuro-oncology MDT: radiotherapy is being considered (required by law)"
        ),
        explanation_nl=(
            "Het stroomschema eindigt buiten het neuro-oncologisch MDO, maar er wordt "
            "(stereotactische) radiotherapie overwogen. Sinds 1-7-2025 moet de patiënt dan volgens "
            "de Regeling bijzondere neurochirurgie besproken zijn in een MDO met neurochirurg, "
            "radiotherapeut-oncoloog, neuroloog en neuroradioloog; rechtstreeks verwijzen naar de "
            "radiotherapie mag niet meer."
        ),
        explanation_en=(
            "The flowchart ends outside the neuro-oncology MDT, but (stereotactic) radiotherapy is "
            "being considered. Since 1 July 2025 the Regeling bijzondere neurochirurgie requires "
            "the patient to have been discussed in an MDT with a neurosurgeon, radiation "
            "oncologist, neurologist and neuroradiologist; direct referral to radiotherapy is no "
            "longer allowed."
        ),
        footnote="LEGAL",
        short_nl="neuro-oncologisch MDO (wettelijk verplicht)",
        short_en="neuro-oncology MDT (required by law)",
    ),
    Outcome(
        code="ORGAN_SPECIFIC_MDO",
        forum="ORGAN_SPECIFIC_MDO",
        label_nl="MDO neuro-oncologie niet noodzakelijk; wel bespreken in het orgaanspecifiek MDO",
        label_en="Neuro-oncology MDT not needed; discuss in the tumour-type MDT",
        explanation_nl=(
            "Er is een optie voor systeemtherapie met hoge kans op cerebrale respons en geen reden "
            "voor lokale behandeling volgens het stroomschema: bespreken in het orgaanspecifiek MDO "
            "(long, mamma, melanoom, enz.)."
        ),
        explanation_en=(
            "There is an option of systemic therapy with a high chance of cerebral response and "
            "the flowchart gives no reason for local treatment: discuss in the tumour-type MDT "
            "(lung, breast, melanoma, etc.)."
        ),
        footnote="A4",
        short_nl="orgaanspecifiek MDO",
        short_en="tumour-type MDT",
    ),
    Outcome(
        code="RESTRAINED_POLICY_NO_MDO",
        forum="NONE",
        label_nl=(
            "Terughoudend beleid t.a.v. systeemtherapie of lokale therapie voor de "
            "hersenmetastasen; niet in het MDO"
        ),
        label_en=(
            "Restrained policy on systemic or local therapy for the brain metastases; no MDT"
        ),
        explanation_nl=(
            "De KPS of de prognose is te laag voor bespreking. Wordt de KPS door tussentijdse "
            "behandeling weer voldoende, overweeg dan opnieuw de patiënt in te brengen."
        ),
        explanation_en=(
            "The KPS or the prognosis is too low for discussion. If interim treatment brings the "
            "KPS back up to the threshold, consider bringing the patient to the MDT again."
        ),
        footnote="A_NB",
        short_nl="terughoudend beleid",
        short_en="restrained policy",
    ),
    Outcome(
        code="NO_MDO_NO_MEANINGFUL_OPTIONS",
        forum="NONE",
        label_nl=(
            "Niet in het neuro-oncologisch MDO: geen zinvolle behandelopties; best supportive care "
            "(dexamethason, anti-epileptica)"
        ),
        label_en=(
            "Not in the neuro-oncology MDT: no meaningful treatment options; best supportive care "
            "(dexamethasone, anti-epileptic drugs)"
        ),
        explanation_nl=(
            "Lokale behandeling heeft bij deze prognose en KPS geen zin en zal de kwaliteit van "
            "leven niet duidelijk verbeteren: symptomatische behandeling in het kader van best "
            "supportive care."
        ),
        explanation_en=(
            "With this prognosis and KPS local treatment is not worthwhile and would not clearly "
            "improve quality of life: symptomatic treatment as best supportive care."
        ),
        footnote="S4",
        short_nl="geen MDO (geen zinvolle behandelopties)",
        short_en="no MDT (no meaningful options)",
    ),
    Outcome(
        code="NO_MDO_NO_TREATMENT_WISH",
        forum="NONE",
        label_nl="Niet in het MDO: de patiënt heeft geen behandelwens",
        label_en="No MDT: the patient does not wish to be treated",
        explanation_nl=(
            "Bespreking heeft alleen zin als de patiënt een behandelwens heeft; het behandelplan "
            "wordt altijd met de patiënt gemaakt."
        ),
        explanation_en=(
            "Discussion only makes sense when the patient wishes to be treated; the treatment plan "
            "is always made with the patient."
        ),
        footnote="S2_WISH",
        short_nl="geen MDO (geen behandelwens)",
        short_en="no MDT (no wish for treatment)",
    ),
    Outcome(
        code="INCOMPLETE_PRECONSULT",
        forum="PRECONSULT_FIRST",
        label_nl="Gegevens ontbreken die de uitkomst bepalen: eerst vooroverleg of aanvullen",
        label_en="Missing information decides the outcome: pre-consultation or completion first",
        explanation_nl=(
            "Een of meer ontbrekende gegevens bepalen de uitkomst. Vul ze aan of overleg eerst met "
            "de neuro-oncoloog. (Dit is beleid van deze toepassing, geen tekst van de leidraad.)"
        ),
        explanation_en=(
            "One or more missing facts decide the outcome. Complete them or consult the "
            "neuro-oncologist first. (This is this application's policy, not guideline text.)"
        ),
        footnote="PRECONSULT",
        short_nl="vooroverleg",
        short_en="pre-consultation",
    ),
)
