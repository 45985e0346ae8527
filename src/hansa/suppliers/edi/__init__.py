"""EDI for supply-chain sets: X12 (832/846/855/856/810, 997, 850/860) and EDIFACT (PRICAT,
INVRPT, ORDRSP, DESADV, CONTRL, ORDERS). Tokenising by pyx12 and pydifact; the schema layer
(which segments and elements each set carries, and what they mean) is ours."""
