# English twins of the French development cases (executed by build.py).
LIV = "liver"
NOT_EN = ("English gallstone/stone/cholelithiasis/choledocholithiasis/hepatolithiasis words are not mentions, "
          "so the French 'lithiase' mention(s) of the source have no counterpart here.")

case("g-fr-02", "en", "workup", "R6",
     "Left intrahepatic stones with upstream ductal dilatation in an asymptomatic, afebrile patient: R6 without features of cholangitis.",
     """MRCP
INDICATION: 52-year-old man originally from Vietnam; left intrahepatic biliary dilatation on ultrasound. Asymptomatic, afebrile, normal LFTs.
TECHNIQUE: Single-shot T2, 3D MRCP, T1 pre- and post-gadolinium.
FINDINGS:
The left lateral section ducts (segments II and III) are dilated up to 8 mm and contain multiple T2-hypointense filling defects consistent with intrahepatic stones, the largest 11 mm. Moderate atrophy of the left lateral section. CBD 6 mm, no choledocholithiasis. No stricture suggestive of tumor, no mass, no abnormal ductal wall enhancement.
Gallbladder and pancreas unremarkable.
IMPRESSION:
Left hepatolithiasis with upstream ductal dilatation and atrophy of the left lateral section, in keeping with recurrent pyogenic cholangitis. Hepatobiliary surgery referral; CT to assess the extent.""",
     [],
     note="No annotated mention: " + NOT_EN + " The three source mentions (2 affirmed intrahepatic lithiase, 1 negated CBD lithiase) are therefore absent; the expected action is kept.")

case("g-fr-04", "en", "no_followup", "R1b",
     "Diffuse punctate hepatic and splenic microcalcifications with calcified nodes in an asymptomatic, HIV-negative patient: healed granulomatous disease (R1b).",
     """CT ABDOMEN AND PELVIS WITH IV CONTRAST
HISTORY: 49-year-old man from West Africa, workup of microscopic hematuria. HIV negative. Asymptomatic.
FINDINGS:
Liver: Normal size, with innumerable punctate ⟦microcalcifications⟧ (< 2 mm) scattered through both lobes, without associated focal lesion or enhancement. Spleen: Normal size, likewise studded with ⟦micro-calcifications⟧. A few ⟦calcified⟧ mesenteric lymph nodes. No biliary dilatation. Pancreas normal.
Kidneys: No mass, no calculi, collecting systems not dilated. Bladder normal.
IMPRESSION:
1. No urologic cause for the hematuria on CT.
2. Diffuse hepatosplenic ⟦microcalcifications⟧ and ⟦calcified⟧ lymph nodes, sequelae of remote healed granulomatous infection (probably TB); no follow-up needed.""",
     [F(LIV, size=2, count="multiple", pattern="punctate"),
      F("spleen", count="multiple"),
      F("other", count="multiple", detail="mesenteric lymph nodes"),
      F(["liver", "spleen"], count="multiple"),
      F("other", count="multiple", detail="lymph nodes")])

case("g-fr-06", "en", None, "none",
     "Every mention is negated ('no'): no current calcification is affirmed.",
     """ABDOMINAL AND RENAL ULTRASOUND
INDICATION: Hypertension in a young woman.
FINDINGS:
Liver: Homogeneous echotexture, no ⟦calcification⟧ or nodule.
Bile ducts: CBD not dilated.
Gallbladder: No gallstones and no wall ⟦calcification⟧.
Spleen: 10 cm, no ⟦calcified granuloma⟧.
Kidneys: Normal corticomedullary differentiation, no ⟦nephrocalcinosis⟧. Renal artery Doppler normal, with normal resistive indices.
Adrenals not visualized.
IMPRESSION: Normal abdominal and renal ultrasound.""",
     [F(LIV, neg=True),
      F("biliary", neg=True, note="The source's negated 'lithiase' became 'No gallstones', which is not an English mention: 4 mentions instead of 5."),
      F("spleen", neg=True),
      F("other", neg=True, detail="kidneys")])

case("g-fr-08", "en", "workup", "R2",
     "Pure 25 mm calcification (> 10 mm) in a low-risk adult with no prior imaging: characterization (R2).",
     """CT ABDOMEN WITHOUT AND WITH IV CONTRAST
INDICATION: Preoperative evaluation of a supraumbilical incisional hernia. No significant past medical history.
FINDINGS:
Coarse ⟦calcification⟧ in segment IV measuring 2.5 cm, with no soft-tissue component and no enhancement. No prior imaging available for comparison.
Liver otherwise normal. No biliary dilatation. Spleen, pancreas, adrenals and kidneys unremarkable.
Supraumbilical incisional hernia with a 3 cm neck containing fat and a loop of small bowel, uncomplicated.
IMPRESSION:
1. Uncomplicated supraumbilical incisional hernia.
2. 25 mm coarse hepatic ⟦calcification⟧ in segment IV, indeterminate in the absence of prior imaging. Recommend liver MRI (or comparison with any outside prior study).""",
     [F(LIV, size=25, count="single", site="segment_IV", pattern="coarse"),
      F(LIV, size=25, count="single", site="segment_IV", pattern="coarse")])

case("g-fr-10", "en", "no_followup", "R1",
     "An 'already known' but current 7 mm calcification, stable since 2022, with no soft-tissue component, in a low-risk adult (R1); the calcified aortic atheroma is out of scope.",
     """CT ABDOMEN AND PELVIS WITH IV CONTRAST
INDICATION: Follow-up of sigmoid diverticulitis treated medically in March.
COMPARISON: CT 03/12/2022.
FINDINGS:
Sigmoid diverticulosis without residual inflammation, abscess or fistula. ⟦Calcified⟧ atherosclerosis of the abdominal aorta without aneurysm.
Liver: Known 7 mm ⟦calcification⟧ in segment IV, unchanged, without soft-tissue component. No other lesion.
Gallbladder, bile ducts, spleen, pancreas: Unremarkable.
IMPRESSION:
1. Uncomplicated sigmoid diverticulosis; no sequelae of the diverticulitis.
2. Segment IV hepatic ⟦calcification⟧, stable since 2022, benign.""",
     [F("other", detail="abdominal aorta"),
      F(LIV, size=7, count="single", site="segment_IV"),
      F(LIV, count="single", site="segment_IV")])

case("g-fr-12", "en", "workup", "R7",
     "Multivesicular CE2 (active) hydatid cyst despite a thinly calcified wall: stage-based treatment (R7, CE1-CE3b branch).",
     """ULTRASOUND ABDOMEN
HISTORY: 34-year-old shepherd from the Moroccan High Atlas, epigastric discomfort. Eosinophilia.
FINDINGS: Large multivesicular cystic lesion in the left lobe measuring 9 x 8 cm, with numerous daughter cysts in a honeycomb pattern and a thick wall containing fine curvilinear ⟦calcifications⟧. Intrahepatic ducts not dilated. No other lesion. Spleen normal.
IMPRESSION: Left lobe hydatid cyst, WHO stage CE2 (active), with a thinly ⟦calcified⟧ wall. Recommend echinococcal serology and specialist input (surgery, infectious disease) for treatment planning.""",
     [F(LIV, size=90, count="multiple", site="left_lobe", pattern="curvilinear"),
      F(LIV, count="single", site="left_lobe", pattern="rim")])

case("g-fr-14", "en", "out_of_scope", "R22",
     "The hyperattenuation is retained lipiodol after TACE ('rather than calcification'), with no enhancement: oncology pathway (R22).",
     """CT LIVER, 4-PHASE
HISTORY: Alcohol-related cirrhosis. Segment VII HCC treated with conventional TACE (lipiodol) in 01/2025. Response assessment.
FINDINGS:
The treated segment VII nodule (24 mm) shows dense, homogeneous, compact hyperattenuation on the unenhanced images, representing retained lipiodol rather than ⟦calcification⟧. No arterial phase enhancement or washout at the margin of the lipiodol deposit. No new hepatic observation. Patent main portal vein. Splenomegaly (14 cm). Atherosclerotic ⟦calcification⟧ of the abdominal aorta.
IMPRESSION: Complete lipiodol uptake in the segment VII HCC, with no evidence of viable tumor (LR-TR nonviable).""",
     [F(LIV, neg=True),
      F("other", detail="abdominal aorta", note="Singular mass-noun use in English, so count is null (the French source has plural 'Calcifications', multiple).")])

case("g-fr-16", "en", "workup", "R3",
     "Mural and septal calcifications in an enhancing septated cystic lesion without a mural nodule: R3 ('suggestive of' hedges only the diagnosis).",
     """CT LIVER, TRIPHASIC
INDICATION: 46-year-old woman, cystic liver lesion found on ultrasound, right upper quadrant heaviness. No past history.
FINDINGS: Thin-walled multiloculated cystic lesion in segment IV, 68 mm, with septa that enhance after contrast and coarse mural and septal ⟦calcifications⟧. No identifiable mural nodule. No biliary dilatation. No other lesion. Spleen and pancreas normal.
IMPRESSION: ⟦Calcified⟧ septated cystic lesion of segment IV, suggestive of a mucinous cystic neoplasm (biliary cystadenoma). Recommend liver MRI and hepatobiliary surgical consultation.""",
     [F(LIV, size=68, count="multiple", site="segment_IV"),
      F(LIV, count="single", site="segment_IV")])

case("g-fr-18", "en", None, "none",
     "The only calcification belongs to a prior study (history) and is 'no longer seen' / 'resolved' today: no current calcification.",
     """FOLLOW-UP LIVER ULTRASOUND
INDICATION: History of amebic abscess of the right liver treated in 2021; residual ⟦calcification⟧ described in 2022.
FINDINGS: The segment VII ⟦calcification⟧ described in 2022 is no longer seen. Homogeneous liver without focal lesion. Bile ducts not dilated. Gallbladder normal.
IMPRESSION: Resolution of the post-infectious ⟦calcification⟧. Normal liver.""",
     [F(LIV, hist=True),
      F(LIV, neg=True, hist=None),
      F(LIV, neg=True)])

case("g-fr-20", "en", "workup", "R4",
     "Calcification grown from 6 to 13 mm since 2023: interval enlargement (R4, and R2 > 10 mm).",
     """ULTRASOUND ABDOMEN
INDICATION: 2-year follow-up of a segment VI liver finding.
COMPARISON: Ultrasound 2023.
FINDINGS: The segment VI ⟦calcification⟧ now measures 13 mm, compared with 6 mm in 2023, with no surrounding halo or mass. No biliary dilatation. Gallbladder, pancreas, spleen: Unremarkable.
IMPRESSION: Interval enlargement of a segment VI ⟦calcification⟧ (13 mm versus 6 mm). Recommend liver CT or MRI.""",
     [F(LIV, size=13, site="segment_VI"),
      F(LIV, size=13, count="single", site="segment_VI")])

case("g-fr-22", "en", "workup", "R8",
     "Nonenhancing infiltrative mass with clustered calcifications in a farmer from the Doubs, without vascular invasion or jaundice: alveolar echinococcosis (R8).",
     """CT ABDOMEN WITH IV CONTRAST
HISTORY: 58-year-old farmer from the Doubs (eastern France); liver lesion found incidentally on ultrasound. Normal LFTs, no jaundice.
FINDINGS: Ill-defined infiltrative lesion of segments VII and VIII measuring 8 cm, hypoattenuating and nonenhancing, containing numerous clustered ⟦calcifications⟧ and microcystic areas. No invasion of the hepatic veins, no intrahepatic biliary dilatation. No lymphadenopathy.
IMPRESSION: Nonenhancing, infiltrative ⟦calcified⟧ liver lesion, highly suggestive of alveolar echinococcosis in this setting. Recommend serology (Em2+), liver MRI and referral to the reference center.""",
     [F(LIV, size=80, count="multiple", site="segment_VII", pattern="clustered"),
      F(LIV, count="single")])

case("g-fr-24", "en", "no_followup", "R24",
     "Curvilinear subcapsular splenic calcification at the site of a 2011 post-traumatic hematoma, without mass (R24); the pain is only the indication.",
     """CT ABDOMEN WITH IV CONTRAST
INDICATION: Left upper quadrant pain.
HISTORY: Splenic contusion in a motor vehicle collision in 2011, managed conservatively.
FINDINGS: Normal-sized spleen (11 cm) with a 9 mm curvilinear subcapsular ⟦calcification⟧ at the lower pole, a sequela of the 2011 subcapsular hematoma, without collection or solid lesion. Liver, pancreas, adrenals and kidneys unremarkable. No free fluid. No bowel abnormality.
IMPRESSION: No acute abnormality. Post-traumatic subcapsular splenic ⟦calcification⟧, a sequela; no follow-up required.""",
     [F("spleen", size=9, count="single", pattern="curvilinear"),
      F("spleen", count="single")])

case("g-fr-26", "en", "urgent", "R20",
     "Calcified liver lesion with 8 kg weight loss: R20 makes it urgent (R3 alone would only give workup).",
     """CT CHEST, ABDOMEN AND PELVIS WITH IV CONTRAST
INDICATION: 8 kg weight loss over 3 months, fatigue. No known history of cancer.
FINDINGS:
Liver: Ill-defined 35 mm hypoattenuating lesion in segment IV with capsular retraction, containing a 6 mm central ⟦calcification⟧. ⟦Calcified⟧ and ⟦noncalcified⟧ porta hepatis lymph nodes up to 18 mm. No intrahepatic biliary dilatation.
Chest: No pulmonary nodule.
IMPRESSION: Partially ⟦calcified⟧ segment IV liver lesion with porta hepatis adenopathy in the setting of weight loss: intrahepatic cholangiocarcinoma or metastasis. Expedited biopsy and workup recommended.""",
     [F(LIV, size=6, count="single", site="segment_IV"),
      F("other", count="multiple", detail="porta hepatis lymph nodes"),
      F("other", neg=True, detail="porta hepatis lymph nodes",
        note="English 'noncalcified' is one word (whole-word anchor, negated); the French source had 'non calcifiées' anchored on 'calcifiées'."),
      F(LIV, count="single", site="segment_IV")])

case("g-fr-28", "en", "no_followup", "R1",
     "'no mass; punctate calcification' is affirmed while 'no mass or calcification' (pancreas) is negated; isolated 3 mm calcification in a low-risk adult (R1).",
     """CT ABDOMEN WITH IV CONTRAST, PORTAL VENOUS PHASE
INDICATION: Iron-deficiency anemia; upper endoscopy and colonoscopy normal.
FINDINGS: Liver: no mass; 3 mm punctate ⟦calcification⟧ in segment II. Intrahepatic bile ducts not dilated. Pancreas: no mass or ⟦calcification⟧. Spleen normal. No bowel wall thickening. Kidneys: 3 mm nonobstructing left lower pole calyceal calculus.
IMPRESSION: No GI abnormality identified. Small left renal calculus. Isolated punctate hepatic ⟦calcification⟧, benign in appearance.""",
     [F(LIV, size=3, count="single", site="segment_II", pattern="punctate"),
      F("other", neg=True, detail="pancreas"),
      F(LIV, count="single", pattern="punctate")])

case("g-fr-30", "en", "workup", "R27",
     "Gallbladder wall calcification (porcelain gallbladder, selective mucosal type): surgical opinion (R27); the associated gallstones do not make it an R28 case.",
     """CT ABDOMEN AND PELVIS WITHOUT CONTRAST
INDICATION: Diffuse abdominal pain in a 74-year-old woman.
FINDINGS: Discontinuous, mucosal-pattern ⟦calcifications⟧ of the gallbladder wall along the fundus and body. Several radiopaque gallstones. No wall thickening or pericholecystic fat stranding. CBD not dilated. No focal liver lesion. Uncomplicated sigmoid diverticulosis.
IMPRESSION: Porcelain gallbladder (incomplete, selective mucosal-type wall ⟦calcification⟧) with cholelithiasis. Surgical consultation advised given the risk of malignancy.""",
     [F("biliary", count="multiple", site="gallbladder"),
      F("biliary", site="gallbladder",
        note="'cholelithiasis' is not an English mention, so the source's 'lithiase vésiculaire' has no counterpart: 2 mentions instead of 3.")])

case("g-fr-32", "en", "urgent", "R3",
     "Large mass with a calcified central scar in a young adult with a healthy liver: R3 escalation criterion (fibrolamellar) to urgent.",
     """CT ABDOMEN WITH IV CONTRAST (ARTERIAL AND PORTAL VENOUS PHASES)
HISTORY: 24-year-old man with epigastric fullness and a palpable mass. No known liver disease, negative viral serologies, normal AFP.
FINDINGS: Large lobulated heterogeneous mass of the left liver, 11 x 9 cm, hypervascular on the arterial phase, with a hypoattenuating stellate central scar containing coarse ⟦calcifications⟧. Adjacent liver noncirrhotic. Porta hepatis lymph nodes up to 22 mm. No portal vein thrombosis.
IMPRESSION: Large hepatic mass with a ⟦calcified⟧ central scar in a noncirrhotic liver in a young man, highly suggestive of fibrolamellar carcinoma, with hilar adenopathy. Urgent referral to the hepatobiliary surgery tumor board.""",
     [F(LIV, size=110, count="multiple", site="left_lobe", pattern="central_scar"),
      F(LIV, count="single", pattern="central_scar")])

case("g-fr-34", "en", "workup", "R9",
     "Network-like septal calcifications ('tortoise shell') with periportal fibrosis in a patient from the Philippines: schistosomiasis (R9).",
     """CT ABDOMEN WITHOUT AND WITH IV CONTRAST
INDICATION: 41-year-old man from the Philippines; splenomegaly on physical examination.
FINDINGS: Dysmorphic liver with irregular contour, right lobe atrophy and left lobe hypertrophy. Linear septal ⟦calcifications⟧ forming a polygonal network perpendicular to the capsule throughout the liver, producing a "tortoise shell" appearance. Periportal fibrosis. Splenomegaly (16 cm). Gastric varices. No ascites.
IMPRESSION: Tortoise shell liver with septal ⟦calcifications⟧ and portal hypertension, suggestive of hepatic schistosomiasis (S. japonicum). Recommend stool ova and parasites, schistosomal serology, hepatology consultation and upper endoscopy.""",
     [F(LIV, count="multiple"),
      F(LIV, count="multiple", pattern="septal")])

case("g-fr-36", "en", "out_of_scope", "R28",
     "Gallstones only (no wall calcification, clear CBD): outside the calcification scope (R28).",
     """RUQ ULTRASOUND
INDICATION: Postprandial RUQ pain, normal LFTs, afebrile.
FINDINGS: Thin-walled gallbladder (2 mm) containing multiple mobile shadowing stones, the largest 14 mm: cholelithiasis. Negative sonographic Murphy sign. No wall ⟦calcification⟧. CBD 4 mm, no choledocholithiasis seen. Homogeneous liver without focal lesion. Pancreas and spleen normal.
IMPRESSION: Uncomplicated cholelithiasis.""",
     [F("biliary", neg=True,
        note="The three source 'lithiase' mentions (gallbladder x2, negated CBD) become cholelithiasis/choledocholithiasis, which are not English mentions: 1 mention instead of 4.")])

case("g-fr-38", "en", "urgent", "R15",
     "Enlarging calcified soft-tissue mass with an enhancing solid component and cortical erosion: sarcoma to be excluded (R15).",
     """MRI LEFT KNEE WITHOUT AND WITH CONTRAST (correlated with radiographs)
HISTORY: 28-year-old woman with a left popliteal fossa mass enlarging over 4 months.
FINDINGS: 62 x 45 mm heterogeneous soft-tissue mass in the popliteal fossa, T1 hypointense and heterogeneously T2 hyperintense with fluid-fluid levels, with an avidly enhancing solid portion. Radiographs show amorphous intralesional ⟦calcifications⟧. Cortical erosion of the posterior distal femur with marrow edema.
IMPRESSION: ⟦Calcified⟧ popliteal soft-tissue mass with an enhancing solid component and bone erosion: synovial sarcoma must be excluded first. Urgent referral to a sarcoma reference center for biopsy.""",
     [F("soft_tissue", count="multiple"),
      F("soft_tissue", count="single", site="popliteal")])

case("g-fr-40", "en", "no_followup", "R1",
     "Incidental 6 mm hepatic calcification; the flank pain (ureteral stone) is only the indication (corrected R1); 'calcium density' is not a mention.",
     """CT ABDOMEN AND PELVIS WITHOUT CONTRAST (RENAL COLIC PROTOCOL)
INDICATION: Sudden right flank pain, hematuria.
FINDINGS:
4 mm stone at the right ureterovesical junction with mild upstream hydronephrosis. No left renal calculus.
Incidental dense 6 mm ⟦calcification⟧ in segment III (calcium density, 650 HU), with no surrounding attenuation abnormality.
Numerous pelvic ⟦phleboliths⟧. Atherosclerotic ⟦calcifications⟧ of the aorta.
IMPRESSION:
1. 4 mm right UVJ stone with mild upstream hydronephrosis.
2. Incidental 6 mm hepatic ⟦calcification⟧, benign in appearance.""",
     [F(LIV, size=6, count="single", site="segment_III"),
      F("other", count="multiple", detail="pelvic veins"),
      F("other", count="multiple", detail="aorta"),
      F(LIV, size=6, count="single")])
